// ESM entry of eslint-plugin-dupguard: ESLint's rules run synchronously, so PostgreSQL's grammar
// (WASM, loaded asynchronously) is loaded before the plugin is handed to the config.
import plugin from './index.cjs';

await plugin.ready();

export default plugin;
