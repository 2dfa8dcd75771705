// `orchestrate debug-adapter` run from source, as DebugClient spawns it (`node <this file>`, tsx preloaded).
import { cli } from '../../../src/cli/main';

process.argv.splice(2, process.argv.length - 2, 'debug-adapter');
cli();
