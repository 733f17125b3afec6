#!/usr/bin/env node
/**
 * DuckDB (@duckdb/node-api), the tool a user could pick instead: the same per-cycle and
 * per-subject × task aggregates as locolens, in SQL over the same parquet file (a benchmark,
 * not a test).
 *
 *   node scripts/bench-duckdb.mjs FILE [--by subject-task|task]
 *
 * Cycles are LocoHub's: the rows of a subject × task in file order (file_row_number), cut in
 * blocks of 150; a subject × task whose rows are not a multiple of 150 is left out. Per cycle:
 * mean, population SD, min, max of every feature; per group: the mean pattern at each phase,
 * per-cycle RMSE against it and the outliers (RMSE > mean + 2 SD), and the Pearson correlation
 * of every feature pair over all samples. Prints one JSON object with the seconds, the peak RSS
 * of this process and the same digest as the other tools.
 */
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const byAt = args.indexOf('--by');
const by = byAt >= 0 ? args.splice(byAt, 2)[1] : 'subject-task';
const file = args[0];
const quote = name => `"${name.replaceAll('"', '""')}"`;
const literal = text => `'${text.replaceAll("'", "''")}'`;

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 100);

const started = performance.now();
const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
const rows = async sql => (await db.runAndReadAll(sql)).getRowObjectsJS();

// The features: LocoHub's keyword rule, as locolens and the Python baseline use it.
const KEYWORDS = ['angle', 'velocity', 'moment', 'power', 'grf', 'cop'];
const EXCLUDED = new Set([
  'subject',
  'subject_metadata',
  'task',
  'task_id',
  'task_info',
  'step',
  'phase_ipsi',
  'phase',
  'phase_percent',
  'phase_contra',
  'time',
  'time_s',
  'step_number',
  'is_reconstructed_r',
  'is_reconstructed_l',
  'activity_number',
  'cycle',
  'leading_leg_step',
  'cycle_id'
]);
const columns = (await rows(`DESCRIBE SELECT * FROM read_parquet(${literal(file)})`)).map(row => row.column_name);
const features = columns.filter(name => !EXCLUDED.has(name) && KEYWORDS.some(keyword => name.includes(keyword)));
const group = by === 'task' ? ['task'] : ['subject', 'task'];
const groupList = group.map(quote).join(', ');

await db.run(`
  CREATE TEMP TABLE samples AS
  SELECT ${groupList},
         (row_number() OVER w - 1) // 150 AS cycle,
         (row_number() OVER w - 1) % 150 AS phase,
         count(*) OVER (PARTITION BY ${groupList}) AS group_rows,
         ${features.map(f => `CAST(${quote(f)} AS FLOAT) AS ${quote(f)}`).join(', ')}
  FROM read_parquet(${literal(file)}, file_row_number = true)
  WINDOW w AS (PARTITION BY ${groupList} ORDER BY file_row_number)`);
await db.run(`DELETE FROM samples WHERE group_rows % 150 <> 0`);
const loadSeconds = (performance.now() - started) / 1000;

const kernelsStarted = performance.now();
// Per cycle: mean, SD (population), min, max of every feature.
const perCycle = await rows(`
  SELECT sum(m) AS mean_sum, count(*) AS cycles FROM (
    SELECT ${features.map((f, i) => `avg(${quote(f)}) AS m${i}, stddev_pop(${quote(f)}) AS s${i}, min(${quote(f)}) AS lo${i}, max(${quote(f)}) AS hi${i}`).join(', ')}
    FROM samples GROUP BY ${groupList}, cycle
  ) UNPIVOT (m FOR k IN (${features.map((_, i) => `m${i}`).join(', ')}))`);
// Mean patterns, RMSE against them, outliers.
await db.run(`
  CREATE TEMP TABLE patterns AS
  SELECT ${groupList}, phase, ${features.map((f, i) => `avg(${quote(f)}) AS p${i}`).join(', ')}
  FROM samples GROUP BY ${groupList}, phase`);
const patternSum = await rows(`SELECT ${features.map((_, i) => `coalesce(sum(p${i}), 0)`).join(' + ')} AS total FROM patterns`);
const outliers = await rows(`
  WITH rmse AS (
    SELECT ${group.map(g => `s.${quote(g)}`).join(', ')}, s.cycle,
           sqrt(avg(${features.map((f, i) => `(s.${quote(f)} - p.p${i}) * (s.${quote(f)} - p.p${i})`).join(' + ')}) / ${features.length}) AS rmse
    FROM samples s JOIN patterns p USING (${groupList}, phase)
    GROUP BY ${group.map(g => `s.${quote(g)}`).join(', ')}, s.cycle
  ), cut AS (
    SELECT ${groupList}, avg(rmse) + 2 * stddev_pop(rmse) AS cut FROM rmse GROUP BY ${groupList}
  )
  SELECT count(*) AS outliers, (SELECT count(*) FROM cut) AS groups FROM rmse JOIN cut USING (${groupList}) WHERE rmse > cut`);
// Pearson correlation of every pair (both triangles and the diagonal, as a matrix sums).
const pairs = [];
features.forEach((a, i) => features.forEach((b, j) => j >= i && pairs.push([a, b, i === j ? 1 : 2])));
const correlation = await rows(`
  SELECT ${pairs.map(([a, b, w]) => `${w} * coalesce(sum(c_${features.indexOf(a)}_${features.indexOf(b)}), 0)`).join(' + ')} AS total FROM (
    SELECT ${pairs.map(([a, b]) => `corr(${quote(a)}, ${quote(b)}) AS c_${features.indexOf(a)}_${features.indexOf(b)}`).join(', ')}
    FROM samples GROUP BY ${groupList}
  )`);
const kernelSeconds = (performance.now() - kernelsStarted) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const number = value => Number(value);
process.stdout.write(
  `${JSON.stringify({
    tool: 'duckdb',
    version: (await rows('SELECT version() AS v'))[0].v,
    seconds: { read: loadSeconds, kernels: kernelSeconds, total: loadSeconds + kernelSeconds },
    peakRssBytes: peak,
    features: features.length,
    digest: {
      groups: number(outliers[0].groups),
      cycles: number(perCycle[0].cycles) / features.length,
      outliers: number(outliers[0].outliers),
      patternSum: number(patternSum[0].total),
      perCycleMeanSum: number(perCycle[0].mean_sum),
      correlationSum: number(correlation[0].total)
    }
  })}\n`
);
