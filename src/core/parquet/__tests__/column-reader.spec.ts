/**
 * Decoded columns equal what pyarrow + numpy read from the same files, for every codec,
 * row-group layout, string encoding and float width of the fixtures.
 */
import { NodeFileSource } from '../../io/node-file-source';
import { useNodeParquetWasm } from '../parquet-wasm-node';
import { ParquetColumnReader } from '../column-reader';
import { readParquetFooter } from '../footer';
import { codeValue, type ColumnData } from '../column-data';
import { errorCode } from '../../errors';
import { GOOD_FIXTURES, expectedValues, fixture } from '../../../../test/fixtures';

useNodeParquetWasm();

async function readAll(name: string) {
  const source = await NodeFileSource.open(fixture(name));
  const info = await readParquetFooter(source);
  const reader = await ParquetColumnReader.open(source, info);
  const columns = info.columns.map(column => column.name);
  const batches = [];
  for (const group of info.rowGroups) {
    batches.push(await reader.readRowGroup(group.index, columns));
  }
  reader.dispose();
  await source.close();
  return { info, batches, columns };
}

describe('ParquetColumnReader', () => {
  const golden = expectedValues();

  it.each(GOOD_FIXTURES)('%s decodes every column as pyarrow does', async name => {
    const { batches, columns } = await readAll(name);
    for (const column of columns) {
      const expected = golden[name][column];
      const parts: ColumnData[] = batches.map(batch => batch.columns[column]);
      const count = parts.reduce((sum, part) => sum + (part.kind === 'codes' ? part.codes.length : part.values.length), 0);
      expect([column, count]).toEqual([column, expected.count]);
      if (expected.kind === 'numeric') {
        let missing = 0;
        let sum = 0;
        const first: Array<number | null> = [];
        for (const part of parts) {
          expect(part.kind).not.toBe('codes');
          if (part.kind === 'codes') {
            continue;
          }
          for (let i = 0; i < part.values.length; i++) {
            const value = Number(part.values[i]);
            if (first.length < 5) {
              first.push(Number.isNaN(value) ? null : value);
            }
            if (Number.isNaN(value)) {
              missing++;
            } else {
              sum += value;
            }
          }
        }
        expect([column, missing]).toEqual([column, expected.missing]);
        expect(sum).toBeCloseTo(expected.nansum, Math.max(0, 9 - Math.ceil(Math.log10(Math.abs(expected.nansum) + 1))));
        expect(first).toEqual(expected.first);
      } else {
        const seen: Array<string | null> = [];
        let nulls = 0;
        for (const part of parts) {
          if (part.kind !== 'codes') {
            throw new Error(`${column} is not a string column`);
          }
          for (let i = 0; i < part.codes.length; i++) {
            const value = codeValue(part, i);
            nulls += value === null ? 1 : 0;
            if (!seen.includes(value) && seen.length < 50) {
              seen.push(value);
            }
          }
        }
        expect([column, seen, nulls]).toEqual([column, expected.distinct, expected.nulls]);
      }
    }
  });

  it('keeps float32 columns as Float32Array and float64 as Float64Array, without nulls left as zeros', async () => {
    const { batches } = await readAll('with_nans.parquet');
    const kinds = new Set(Object.values(batches[0].columns).map(column => column.kind));
    expect(kinds.has('codes')).toBe(true);
    for (const column of Object.values(batches[0].columns)) {
      if (column.kind === 'float32') {
        expect(column.values).toBeInstanceOf(Float32Array);
      } else if (column.kind === 'float64') {
        expect(column.values).toBeInstanceOf(Float64Array);
      }
    }
  });

  it('refuses a column the file does not have, naming it', async () => {
    const source = await NodeFileSource.open(fixture('tiny_snappy.parquet'));
    const info = await readParquetFooter(source);
    const reader = await ParquetColumnReader.open(source, info);
    const error = await reader.readRowGroup(0, ['subject', 'no_such_column']).catch(e => e);
    expect(errorCode(error)).toBe('missing-columns');
    expect(error.message).toMatch(/"no_such_column"/);
    reader.dispose();
    await source.close();
  });

  it('reads only the chunks of the columns asked for', async () => {
    const source = await NodeFileSource.open(fixture('multi_rowgroup.parquet'));
    const info = await readParquetFooter(source);
    const reader = await ParquetColumnReader.open(source, info);
    const before = source.stats.bytesRead;
    await reader.readRowGroup(3, ['knee_flexion_angle_ipsi_rad']);
    const read = source.stats.bytesRead - before;
    const chunk = info.columns.find(column => column.name === 'knee_flexion_angle_ipsi_rad')!.compressedBytes / info.rowGroups.length;
    expect(read).toBeLessThan(chunk * 3);
    expect(read).toBeGreaterThan(chunk / 3);
    reader.dispose();
    await source.close();
  });
});
