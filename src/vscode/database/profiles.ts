/** Connection profiles in the settings: the "add a connection profile" wizard and where it writes. */
import * as vscode from 'vscode';
import { type ConnectionProfile, SECTION } from '../config';

/** Asks for a connection profile and appends it to `dupguard.connections` (workspace when one is open). */
export async function addConnection(log: vscode.LogOutputChannel): Promise<ConnectionProfile | undefined> {
  const name = await vscode.window.showInputBox({ title: 'dupguard: new connection (1/5)', prompt: 'A name for this connection', value: 'local', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'A name is required') });
  if (name === undefined) return undefined;
  const host = await vscode.window.showInputBox({ title: 'dupguard: new connection (2/5)', prompt: 'Host', value: 'localhost', ignoreFocusOut: true });
  if (host === undefined) return undefined;
  const port = await vscode.window.showInputBox({
    title: 'dupguard: new connection (3/5)', prompt: 'Port', value: '5432', ignoreFocusOut: true,
    validateInput: (v) => (/^\d{1,5}$/.test(v.trim()) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'A port number between 1 and 65535'),
  });
  if (port === undefined) return undefined;
  const database = await vscode.window.showInputBox({ title: 'dupguard: new connection (4/5)', prompt: 'Database', value: 'postgres', ignoreFocusOut: true });
  if (database === undefined) return undefined;
  const user = await vscode.window.showInputBox({ title: 'dupguard: new connection (5/5)', prompt: 'User (the password is asked on first connect and kept in VS Code\'s secret storage, never in settings)', value: 'postgres', ignoreFocusOut: true });
  if (user === undefined) return undefined;
  const profile: ConnectionProfile = { name: name.trim(), host: host.trim(), port: Number(port), database: database.trim(), user: user.trim() };
  // Untrusted workspaces cannot connect with workspace profiles: there, only the user settings are offered.
  let target = vscode.ConfigurationTarget.Global;
  if (vscode.workspace.workspaceFolders?.length && vscode.workspace.isTrusted) {
    const where = await vscode.window.showQuickPick([
      { label: 'User settings', description: 'this connection in every workspace', target: vscode.ConfigurationTarget.Global },
      { label: 'Workspace settings', description: 'this workspace only (.vscode/settings.json, often committed: no password is ever written)', target: vscode.ConfigurationTarget.Workspace },
    ], { title: 'dupguard: save the connection where?', ignoreFocusOut: true });
    if (!where) return undefined;
    target = where.target;
  }
  await saveProfile(profile, target);
  log.info(`saved connection profile "${profile.name}" (${profile.user}@${profile.host}:${profile.port}/${profile.database})`);
  void vscode.window.showInformationMessage(`dupguard: connection "${profile.name}" saved in ${target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings.`);
  return profile;
}

/**
 * Appends `profile` to the `dupguard.connections` list of `target` only (a profile of the same name
 * there is replaced): the profiles of the other levels stay where they are, never copied over.
 */
export async function saveProfile(profile: ConnectionProfile, target: vscode.ConfigurationTarget): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const info = config.inspect<unknown[]>('connections');
  const own = target === vscode.ConfigurationTarget.Global ? info?.globalValue
    : target === vscode.ConfigurationTarget.Workspace ? info?.workspaceValue : info?.workspaceFolderValue;
  const list = (Array.isArray(own) ? own : []).filter((p) => !(p && typeof p === 'object' && (p as ConnectionProfile).name === profile.name));
  await config.update('connections', [...list, profile], target);
}
