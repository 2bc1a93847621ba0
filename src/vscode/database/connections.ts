/**
 * Database connections for the editor: choosing a profile (`dupguard.connections`), a typed URL or the
 * PG* environment; passwords kept in VS Code's SecretStorage (asked once, never in settings, logs or
 * messages); workspace-provided profiles refused in untrusted workspaces. The `pg` code loads only
 * when a connection is opened.
 */
import * as vscode from 'vscode';
import type { ConnectionProfile as DbProfile, DbSession } from '../../db/connect';
import { type ConnectionProfile as SettingsProfile, SECTION } from '../config';


/** Where a profile came from: user settings are always usable, the others only in trusted workspaces. */
export type ProfileOrigin = 'user' | 'workspace' | 'folder';

/** A chosen connection, ready to open. */
export interface ChosenConnection {
  /** Shown to the user: profile name or the URL without password. */
  label: string;
  target: DbProfile;
  /** `postgres://user@host:port/db`: identifies the password in SecretStorage. */
  identity: string;
  /** Whether a password typed for it may be kept in SecretStorage. */
  remember: boolean;
}

/** Arguments the "Scan DB for duplicates" command accepts (tests, keybindings, other extensions). */
export interface ConnectionArgs {
  /** A `postgres://` URL (without password is best: the password is then asked and kept securely). */
  url?: string;
  /** Name of a profile in `dupguard.connections`. */
  profile?: string;
}

const SECRET_PREFIX = 'dupguard.password:';
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

function validProfile(p: unknown): p is SettingsProfile {
  return !!p && typeof p === 'object' && typeof (p as SettingsProfile).name === 'string' && (p as SettingsProfile).name.trim() !== '';
}

/** The profiles visible to this window with their origin; workspace ones are left out when untrusted. */
export function readProfiles(trusted = vscode.workspace.isTrusted): { profiles: { profile: SettingsProfile; origin: ProfileOrigin }[]; ignored: number } {
  const info = vscode.workspace.getConfiguration(SECTION).inspect<unknown[]>('connections');
  const out: { profile: SettingsProfile; origin: ProfileOrigin }[] = [];
  let ignored = 0;
  const add = (list: unknown[] | undefined, origin: ProfileOrigin) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!validProfile(p)) continue;
      if (origin !== 'user' && !trusted) { ignored++; continue; }
      // A workspace profile with the same name overrides the user's, as settings do.
      const i = out.findIndex((o) => o.profile.name === p.name);
      if (i >= 0) out.splice(i, 1);
      out.push({ profile: p, origin });
    }
  };
  add(info?.globalValue, 'user');
  add(info?.workspaceValue, 'workspace');
  add(info?.workspaceFolderValue, 'folder');
  return { profiles: out, ignored };
}

/** The pg target of a settings profile; fields override the URL's. */
export async function profileTarget(p: SettingsProfile): Promise<DbProfile> {
  const { parseUrl } = await import('../../db/connect');
  const base: DbProfile = p.url ? parseUrl(p.url) : {};
  // A password in a settings URL is refused: settings are plain text and often committed.
  if (base.password !== undefined) throw new Error(`connection "${p.name}": remove the password from its url setting; dupguard asks for it once and keeps it in VS Code's secret storage`);
  const t: DbProfile = { ...base, name: p.name };
  if (p.host) t.host = p.host;
  if (p.port) t.port = p.port;
  if (p.database) t.database = p.database;
  if (p.user) t.user = p.user;
  if (p.sslmode) {
    if (!SSL_MODES.includes(p.sslmode)) throw new Error(`connection "${p.name}": sslmode must be one of ${SSL_MODES.join(', ')}`);
    t.sslmode = p.sslmode;
  }
  if (Array.isArray(p.schemas) && p.schemas.length) t.schemas = p.schemas.filter((s) => typeof s === 'string');
  return t;
}

async function identityOf(target: DbProfile): Promise<string> {
  const { resolveTarget, describeTarget } = await import('../../db/connect');
  return describeTarget(resolveTarget({ ...target, password: undefined }));
}

/** Holds the window's connection choice and its passwords. */
export class Connections implements vscode.Disposable {
  private activeConnection: ChosenConnection | undefined;
  private readonly changed = new vscode.EventEmitter<ChosenConnection | undefined>();
  /** Fires after a connection succeeded (or was forgotten). */
  readonly onDidChangeActive = this.changed.event;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: vscode.LogOutputChannel) {}

  /** The connection that last connected successfully in this window. */
  get active(): ChosenConnection | undefined {
    return this.activeConnection;
  }

  /** Asks which database to use (or takes it from `args`); undefined when the user cancels. */
  async choose(args: ConnectionArgs = {}): Promise<ChosenConnection | undefined> {
    if (args.url) return this.fromUrl(args.url);
    const { profiles, ignored } = readProfiles();
    if (args.profile) {
      const found = profiles.find((p) => p.profile.name === args.profile);
      if (!found) throw new Error(`no connection profile named "${args.profile}"${ignored ? ' (workspace profiles are ignored: the workspace is not trusted)' : ''}`);
      return this.fromProfile(found.profile);
    }
    type Item = vscode.QuickPickItem & { run: () => Promise<ChosenConnection | undefined> };
    const { scrub } = await import('../../db/connect');
    const items: Item[] = profiles.map(({ profile, origin }) => ({
      label: `$(database) ${scrub(profile.name)}`,
      description: profile.url ? scrub(profile.url) : `${profile.user ?? ''}${profile.user ? '@' : ''}${profile.host ?? 'localhost'}:${profile.port ?? 5432}/${profile.database ?? ''}`,
      detail: origin === 'user' ? 'user settings' : origin === 'workspace' ? 'workspace settings' : 'folder settings',
      run: () => this.fromProfile(profile),
    }));
    const env = process.env;
    if (env.PGHOST || env.PGDATABASE || env.PGSERVICE || env.PGUSER) {
      items.push({
        label: '$(terminal) PG* environment variables',
        description: `${env.PGUSER ?? ''}${env.PGUSER ? '@' : ''}${env.PGHOST ?? 'localhost'}:${env.PGPORT ?? 5432}/${env.PGDATABASE ?? ''}`,
        run: async () => ({ label: 'PG* environment', target: {}, identity: await identityOf({}), remember: true }),
      });
    }
    items.push({ label: '$(link) Enter a connection URL…', run: () => this.askUrl() });
    items.push({ label: '$(add) Add a connection profile…', run: async () => {
      const { addConnection } = await import('./profiles');
      const p = await addConnection(this.log);
      return p ? this.fromProfile(p as SettingsProfile) : undefined;
    } });
    const pick = await vscode.window.showQuickPick(items, {
      title: 'dupguard: which database?',
      placeHolder: ignored
        ? `${ignored} connection profile(s) from workspace settings are ignored: this workspace is not trusted`
        : 'Choose a connection (read-only: the scan never writes)',
      ignoreFocusOut: true,
    });
    return pick?.run();
  }

  private async askUrl(): Promise<ChosenConnection | undefined> {
    const url = await vscode.window.showInputBox({
      title: 'dupguard: connection URL',
      prompt: 'postgres://user@host:5432/database (leave the password out: it is asked next and kept in the secret storage)',
      placeHolder: 'postgres://app@localhost:5432/app',
      ignoreFocusOut: true,
      validateInput: (v) => (/^postgres(ql)?:\/\/\S+$/i.test(v.trim()) ? undefined : 'A postgres:// or postgresql:// URL'),
    });
    return url === undefined ? undefined : this.fromUrl(url.trim());
  }

  private async fromUrl(url: string): Promise<ChosenConnection> {
    const { parseUrl, scrub } = await import('../../db/connect');
    const target = parseUrl(url);
    return { label: scrub(url), target, identity: await identityOf(target), remember: target.password === undefined };
  }

  private async fromProfile(p: SettingsProfile): Promise<ChosenConnection> {
    const { scrub } = await import('../../db/connect');
    const target = await profileTarget(p);
    // Labels reach titles, messages, logs and diagnostics: never with a password, whatever the name holds.
    return { label: scrub(p.name), target, identity: await identityOf(target), remember: true };
  }

  /**
   * Opens a session. The password comes from the target, PGPASSWORD, the secret storage, or (when
   * `interactive`) a password box whose answer is kept once the server accepted it.
   */
  async open(c: ChosenConnection, opts: { interactive: boolean; statementTimeoutMs?: number }): Promise<DbSession> {
    const { connect, DbError } = await import('../../db/connect');
    const key = SECRET_PREFIX + c.identity;
    let typed: string | undefined;
    /** The box was shown and dismissed (Escape): the user cancelled, nothing failed. */
    let dismissed = false;
    const stored = c.target.password === undefined ? await this.secrets.get(key) : undefined;
    const ask = async (): Promise<string | undefined> => {
      if (!opts.interactive) return undefined;
      typed = await vscode.window.showInputBox({
        title: `dupguard: password for ${c.identity}`,
        prompt: 'Kept in VS Code\'s secret storage for this connection ("Dupguard: Forget Saved Database Password" removes it)',
        password: true,
        ignoreFocusOut: true,
      });
      dismissed = typed === undefined;
      return typed;
    };
    const connectOpts = { password: ask, statementTimeoutMs: opts.statementTimeoutMs, applicationName: 'dupguard' };
    let session: DbSession;
    try {
      // A saved password goes with the first attempt; without one the server's request brings up the box.
      session = await connect(stored !== undefined ? { ...c.target, password: stored } : c.target, connectOpts);
    } catch (e) {
      // A saved password the server now refuses: forget it and ask again once.
      if (e instanceof DbError && e.code === '28P01' && stored !== undefined) {
        await this.secrets.delete(key);
        this.log.warn(`the saved password for ${c.identity} was refused: it was removed from the secret storage`);
        if (!opts.interactive) throw e;
        try {
          session = await connect(c.target, connectOpts);
        } catch (e2) {
          throw dismissed ? new vscode.CancellationError() : e2;
        }
      } else {
        // Escape in the password box: a cancellation, not a failure (the caller stays quiet).
        throw dismissed ? new vscode.CancellationError() : e;
      }
    }
    if (typed !== undefined && c.remember) {
      await this.secrets.store(key, typed);
      this.log.info(`password for ${c.identity} saved in the secret storage`);
    }
    if (this.activeConnection?.identity !== c.identity || this.activeConnection.label !== c.label) {
      this.activeConnection = c;
      this.changed.fire(c);
    }
    this.log.info(`connected to ${session.target} (${session.engine}, server ${session.serverVersionNum})`);
    return session;
  }

  /** Removes saved passwords: the active connection's, or one the user picks among the known ones. */
  async forgetPassword(): Promise<void> {
    const { profiles } = readProfiles();
    const candidates = new Map<string, string>();
    for (const { profile } of profiles) {
      try { candidates.set(await identityOf(await profileTarget(profile)), profile.name); } catch { /* invalid profile: nothing saved for it */ }
    }
    if (this.activeConnection) candidates.set(this.activeConnection.identity, this.activeConnection.label);
    const saved: { identity: string; label: string }[] = [];
    for (const [identity, label] of candidates) if (await this.secrets.get(SECRET_PREFIX + identity) !== undefined) saved.push({ identity, label });
    if (!saved.length) {
      void vscode.window.showInformationMessage('dupguard: no saved database password for the connections of this window.');
      return;
    }
    const pick = saved.length === 1 ? saved[0] : await vscode.window.showQuickPick(
      saved.map((s) => ({ label: s.label, description: s.identity, s })), { title: 'dupguard: forget which password?' },
    ).then((p) => p?.s);
    if (!pick) return;
    await this.secrets.delete(SECRET_PREFIX + pick.identity);
    this.log.info(`password for ${pick.identity} removed from the secret storage`);
    void vscode.window.showInformationMessage(`dupguard: the saved password for ${pick.label} (${pick.identity}) was removed.`);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
