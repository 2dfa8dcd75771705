// Runs the CLI from source (no build needed), for tests that spawn it as a real process.
import { cli } from '../../src/cli/main';

cli();
