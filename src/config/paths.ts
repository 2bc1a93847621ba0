/**
 * Path arithmetic done once per file by the CLI and the editor, without resolving paths that are
 * already resolved (path.resolve and path.relative normalize every argument again: a tenth of a
 * run's per-file work outside the analysis). Each function equals the node:path one it replaces.
 */
import * as path from 'node:path';

/** A `.` or `..` segment, an empty one, a separator at either end (and on Windows a `/`): not as path.resolve leaves a path. */
const UNNORMALIZED = path.sep === '/' ? /(?:^|\/)\.\.?(?:\/|$)|\/\/|\/$|^\// : /(?:^|[\\/])\.\.?(?:[\\/]|$)|[\\/][\\/]|[\\/]$|^[\\/]|\//;
const normalizedRoots = new Map<string, boolean>();

/**
 * True for a path as path.resolve returns it (absolute, normalized): resolving it again changes
 * nothing. Always false on Windows (its drive and UNC rules are left to path.resolve).
 */
export function isResolved(p: string): boolean {
  return path.sep === '/' && p.charCodeAt(0) === 0x2f && !UNNORMALIZED.test(p.slice(1));
}

/**
 * path.relative(root, abs): cut from `abs` when it lies inside `root` as written and both are absolute
 * and normalized, as the paths of a walk are; else path.relative's own answer.
 */
export function relativeInside(root: string, abs: string): string {
  if (abs.length > root.length + 1 && abs.charCodeAt(root.length) === path.sep.charCodeAt(0) && abs.startsWith(root)) {
    let normal = normalizedRoots.get(root);
    if (normal === undefined) normalizedRoots.set(root, (normal = path.isAbsolute(root) && !UNNORMALIZED.test(root) && path.normalize(root) === root));
    const rest = abs.slice(root.length + 1);
    if (normal && !UNNORMALIZED.test(rest)) return rest;
  }
  return path.relative(root, abs);
}
