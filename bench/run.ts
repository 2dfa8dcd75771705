/**
 * `npm run bench`: runs every benchmark and writes `bench/results/<name>.json`
 * (with the machine and the date), plus a summary on stdout. Numbers are reported,
 * never asserted: tests stay free of wall-clock thresholds.
 * `npm run bench -- engine` runs only the named benchmarks.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, { module: string; exportName: string }> = {
  engine: { module: './engine', exportName: 'benchEngine' },
  providers: { module: './providers', exportName: 'benchProviders' },
  durable: { module: './durable', exportName: 'benchDurable' },
  editor: { module: './editor', exportName: 'benchEditor' },
  panel: { module: './panel', exportName: 'benchPanel' },
  scale: { module: './scale', exportName: 'benchScale' },
  tools: { module: './tools', exportName: 'benchTools' },
  regex: { module: './regex', exportName: 'benchRegex' },
  eval: { module: './eval', exportName: 'benchEval' },
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const outDir = path.join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  for (const [name, { module, exportName }] of Object.entries(BENCHES)) {
    if (only.length > 0 && !only.includes(name)) continue;
    if (!existsSync(path.join(__dirname, `${module}.ts`))) continue;
    const bench = (await import(module))[exportName] as Bench;
    process.stdout.write(`bench ${name}… `);
    const started = Date.now();
    const results = await bench();
    const record = {
      bench: name,
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
      results,
    };
    writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
    process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)}s\n${JSON.stringify(results, null, 2)}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
