/**
 * The V8 flags of a CLI run, set once at its start (by src/cli/launch.ts before it compiles the
 * bundle, else by start() in src/cli/main.ts): one copy, because V8 takes the bundle's code cache only
 * under the flags it was made with (esbuild.js makes it through the launcher, so under these).
 * Only the CLI sets them: the editor's long-lived extension host and the ESLint plugin's process
 * keep V8's defaults. Each is a run of seconds, over before work that pays over minutes pays back:
 *
 * - `--liftoff-only`: PostgreSQL's grammar in WASM is compiled by the baseline compiler only, not
 *   again by the optimizing one on background threads (bench:cli: a small file 0.78 -> 0.28 s of
 *   CPU, the regression folder 5.0 -> 4.6 s, less memory).
 * - `--wasm-lazy-validation`: each WASM function is validated when first compiled, not all 1.1 MB up
 *   front (a run calls a fraction of them; a small file's lint: 659M -> 633M instructions).
 * - `--interrupt-budget=1000000`: a JavaScript function is handed to the optimizing compiler
 *   (TurboFan, on background threads whose CPU the run pays) after about 15x more work than V8's
 *   default (67,584): in a lint of a few seconds about half of all instructions were that compiler's, for
 *   functions that ran little after it. Hot loops still get optimized code (interleaved runs
 *   of the CLI: migrations 1.37 -> 0.84 s of CPU, the regression folder 3.17 -> 2.11 s, the 20 MB
 *   file 5.9 -> 4.6 s, a small file unchanged; budgets of 500 K to 8 M measured alike).
 * - `--semi-space-growth-factor=1`: the young generation keeps the size it has when the run starts
 *   (2 MB) instead of growing to 32 MB once a big file's statements survive their first collections.
 *   (Given on the command line, V8 raises a factor below 2 at start-up; set here, it holds.) A young
 *   generation that large mostly held objects about to be promoted anyway: the regression folder as
 *   one file peaked at 148 MB with the growth and 120 MB without, the migrations x20 at 222 and 187
 *   MB, for the same CPU time (interleaved runs).
 * - `--no-concurrent-osr`: a long-running loop (the lexer's, the splitters') is recompiled on the main
 *   thread, not on a helper thread whose allocator kept the compiler's memory for the rest of the run:
 *   the regression folder x3 as one file 199 -> 185 MB, the 20 MB file 191 -> 179 MB; CPU time the
 *   same or less (3.3 -> 3.0 s; 4.1 -> 3.9 s).
 * - `--heap-growing-percent=30`: after a full collection, the old generation may grow by 30% of what
 *   lived before the next one, not up to 4x (V8's factor for a fast collector and a short run: a lint
 *   that promoted garbage kept all of it to the end). Interleaved runs: the TS/JS corpus as a folder
 *   133 -> 104 MB, the regression folder x3 186 -> 173 MB, the 37.5 MB file 315 -> 291 MB; CPU time
 *   the same within noise, except the 37.5 MB file's: 5-10% more with the three settings above, its
 *   larger heap collected a few more times.
 */
export const CLI_V8_FLAGS = '--liftoff-only --wasm-lazy-validation --interrupt-budget=1000000 --semi-space-growth-factor=1 --no-concurrent-osr --heap-growing-percent=30';

/** Sets CLI_V8_FLAGS (before the bundle is compiled, for its code cache to be taken). */
export function setCliV8Flags(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString(CLI_V8_FLAGS);
}
