/**
 * "Scan DB for duplicates". The database scanner is not part of this build yet: the command says what
 * the scan will do and helps the user save a connection profile (never a password) for it.
 */
import * as vscode from 'vscode';
import { Config, type ConnectionProfile, SECTION } from './config';

const ADD = 'Add Connection…';
const SETTINGS = 'Open Settings';

export async function scanDatabase(log: vscode.LogOutputChannel): Promise<void> {
  const profiles = new Config().connections;
  const known = profiles.length
    ? `Saved connections: ${profiles.map((p) => p.name).join(', ')}.`
    : 'No connection is saved yet (setting `dupguard.connections`).';
  log.info('scan database: the scanner is not available in this build');
  const choice = await vscode.window.showInformationMessage(
    'Scan DB for duplicates',
    {
      modal: true,
      detail:
        'dupguard will connect read-only to a PostgreSQL database, look at each table\'s natural key ' +
        '(from your settings, the unique constraints and the workspace DDL), count the rows that share it, ' +
        'and list the duplicate groups with a migration that removes them. It never writes to the database.\n\n' +
        `The database scan is not available in this version of the extension yet. ${known}`,
    },
    ADD, SETTINGS,
  );
  if (choice === ADD) await addConnection(log);
  else if (choice === SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.connections`);
}

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
  const user = await vscode.window.showInputBox({ title: 'dupguard: new connection (5/5)', prompt: 'User (the password comes from PGPASSWORD or ~/.pgpass, never from settings)', value: 'postgres', ignoreFocusOut: true });
  if (user === undefined) return undefined;
  const profile: ConnectionProfile = { name: name.trim(), host: host.trim(), port: Number(port), database: database.trim(), user: user.trim() };
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const list = [...new Config().connections.filter((p) => p.name !== profile.name), profile];
  await vscode.workspace.getConfiguration(SECTION).update('connections', list, target);
  log.info(`saved connection profile "${profile.name}" (${profile.user}@${profile.host}:${profile.port}/${profile.database})`);
  void vscode.window.showInformationMessage(`dupguard: connection "${profile.name}" saved in ${target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings.`);
  return profile;
}
