/**
 * spectrum diagnosis accuracy.
 *  1. Synthetic: every fault type across shaft speeds and bearing-impact SNRs (seeded waveforms
 *     from nodes/lib/sim/waveform.ts), 1 s windows at 12.8 and 25.6 kHz.
 *  2. Real: the Case Western Reserve University Bearing Data Center drive-end recordings
 *     (normal / inner race / outer race / ball), cut into 1 s windows, with CWRU's published
 *     defect multipliers and the recorded rpm of each file.
 *
 *   node dist/test/bench/spectrum-diagnosis.js [bearings-dir=../shared/datasets/bearings]
 *
 * Prints figures only; nothing is asserted. The analysis runs with the node's defaults; no
 * parameter was chosen by looking at the recordings or their labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateWaveform } from '../../nodes/lib/sim/waveform';
import { VibrationAnalyzer } from '../../nodes/lib/vibration/analyzer';
import { settingsFromConfig } from '../../nodes/lib/vibration/config';
import { loadFft } from '../../nodes/lib/vibration/fft';
import { FAULT_TYPES, type FaultType } from '../../nodes/lib/vibration/types';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const SPEEDS = [600, 1200, 1800, 2400, 3600];
const SNRS = [20, 10, 0];
const SEEDS = 4;
const RATES = [12_800, 25_600];
const BEARING_FAULTS: FaultType[] = ['outer-race', 'inner-race', 'ball', 'cage'];

function pct(hit: number, total: number): string {
  return total === 0 ? '   –  ' : `${((100 * hit) / total).toFixed(1).padStart(5)} %`;
}

function synthetic(): void {
  const analyzer = new VibrationAnalyzer(settingsFromConfig({}).analyzer);
  console.log('1. Synthetic waveforms (damage 0.5, 1 s, speeds 600–3600 rpm, 12.8 and 25.6 kHz, 4 seeds each)');
  console.log('   SNR = bearing-impact power / sensor-noise power over the whole band; it applies to bearing faults.');
  const header = ['fault', ...SNRS.map((s) => `SNR ${s} dB`)];
  console.log(`   ${header[0].padEnd(14)}${header.slice(1).map((h) => h.padStart(12)).join('')}   most frequent mistakes`);
  const totals = SNRS.map(() => ({ hit: 0, total: 0 }));
  for (const fault of FAULT_TYPES) {
    const cells: string[] = [];
    const mistakes = new Map<string, number>();
    SNRS.forEach((snrDb, s) => {
      let hit = 0;
      let total = 0;
      for (const sampleRate of RATES) {
        for (const rpm of SPEEDS) {
          for (let seed = 1; seed <= SEEDS; seed++) {
            const w = generateWaveform({ sampleRate, samples: sampleRate, rpm, fault, damage: fault === 'normal' ? 0 : 0.5, seed: seed * 101 + rpm, snrDb });
            const outcome = analyzer.analyze({ samples: w.samples, sampleRate, rpm, unit: 'g', asset: 'sim', sensor: 'accel', start: 0 });
            if (!outcome.ok) throw new Error(outcome.error.reason);
            const said = outcome.analysis.diagnosis.fault;
            total++;
            if (said === fault) hit++;
            else mistakes.set(`${said}@${rpm}rpm`, (mistakes.get(`${said}@${rpm}rpm`) ?? 0) + 1);
          }
        }
      }
      cells.push(pct(hit, total));
      if (BEARING_FAULTS.includes(fault) || fault === 'normal') {
        totals[s].hit += hit;
        totals[s].total += total;
      }
    });
    const worst = [...mistakes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k}×${v}`).join(', ');
    console.log(`   ${fault.padEnd(14)}${cells.map((c) => c.padStart(12)).join('')}   ${worst}`);
  }
  console.log(`   ${'bearing+normal'.padEnd(14)}${totals.map((t) => pct(t.hit, t.total).padStart(12)).join('')}`);
}

interface ManifestRow {
  file: string;
  fault: string;
  rpm: number;
  fs: number;
}

function readManifest(dir: string): ManifestRow[] {
  const lines = fs.readFileSync(path.join(dir, 'manifest.csv'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const at = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return { file: cells[at('file')], fault: cells[at('fault')], rpm: Number(cells[at('rpm_recorded')]), fs: Number(cells[at('fs_hz')]) };
  });
}

function readSamples(file: string): Float64Array {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) if (lines[i].trim() !== '') values.push(Number(lines[i]));
  return Float64Array.from(values);
}

const LABELS: Record<string, FaultType> = { normal: 'normal', inner_race: 'inner-race', outer_race: 'outer-race', ball: 'ball' };

function cwru(dir: string): void {
  console.log(`\n2. Bearing recordings: Case Western Reserve University Bearing Data Center, drive-end accelerometer (${dir})`);
  if (!fs.existsSync(path.join(dir, 'manifest.csv'))) {
    console.log('   not found; pass the data directory as the first argument');
    return;
  }
  // CWRU's published multipliers for the drive-end SKF 6205 (its 4.7135 "rolling element" is 2 × BSF).
  // Machine class I: a 2 hp motor. Everything else is the node's default.
  const analyzer = new VibrationAnalyzer(settingsFromConfig({
    bearingMode: 'multipliers', bpfo: 3.5848, bpfi: 5.4152, bsf: 2.3567, ftf: 0.39828, machineClass: 'I',
  }).analyzer);
  const classes: FaultType[] = ['normal', 'inner-race', 'outer-race', 'ball'];
  const columns = [...classes, 'other'];
  const matrix = new Map<string, Map<string, number>>(classes.map((c) => [c, new Map(columns.map((p) => [p, 0]))]));
  const perFile: string[] = [];
  for (const row of readManifest(dir)) {
    const truth = LABELS[row.fault];
    const x = readSamples(path.join(dir, row.file));
    const counts = new Map<string, number>();
    for (let start = 0; start + row.fs <= x.length; start += row.fs) {
      const outcome = analyzer.analyze({ samples: x.subarray(start, start + row.fs), sampleRate: row.fs, rpm: row.rpm, unit: 'g', asset: 'cwru', sensor: 'de', start: 0 });
      if (!outcome.ok) throw new Error(`${row.file}: ${outcome.error.reason}`);
      const said = outcome.analysis.diagnosis.fault;
      const column = (classes as string[]).includes(said) ? said : 'other';
      const cells = matrix.get(truth)!;
      cells.set(column, (cells.get(column) ?? 0) + 1);
      counts.set(said, (counts.get(said) ?? 0) + 1);
    }
    const summary = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    perFile.push(`   ${path.basename(row.file).padEnd(34)} ${truth.padEnd(11)} ${summary}`);
  }
  console.log('   Per file (1 s windows; fault said: count)');
  perFile.forEach((line) => console.log(line));
  console.log('\n   Confusion matrix, 1 s windows (rows: label, columns: diagnosis; "other" = imbalance, misalignment, looseness, cage)');
  console.log(`   ${'label'.padEnd(12)}${columns.map((c) => c.padStart(11)).join('')}   recall`);
  let hit = 0;
  let total = 0;
  for (const label of classes) {
    const cells = matrix.get(label)!;
    const n = [...cells.values()].reduce((a, b) => a + b, 0);
    hit += cells.get(label) ?? 0;
    total += n;
    console.log(`   ${label.padEnd(12)}${columns.map((c) => String(cells.get(c)).padStart(11)).join('')}   ${pct(cells.get(label) ?? 0, n)}`);
  }
  console.log(`   accuracy ${pct(hit, total)} of ${total} windows`);
  console.log('   Data: Case Western Reserve University Bearing Data Center (read from the data directory, not shipped).');
}

async function main(): Promise<void> {
  const dir = path.resolve(projectRoot, process.argv[2] ?? path.join('..', 'shared', 'datasets', 'bearings'));
  console.log(`FFT: ${await loadFft()}`);
  synthetic();
  cwru(dir);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
