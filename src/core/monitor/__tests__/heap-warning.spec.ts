/**
 * The gauges' heap warning: from 80 % of the JS heap limit, silent below it or where the browser
 * reports no limit.
 */
import { heapWarningText } from '../performance-monitor';

const MB = 1e6;

test('warns from 80 % of the limit, with the figures', () => {
  expect(heapWarningText(3000 * MB, 4000 * MB)).toBeNull();
  expect(heapWarningText(3300 * MB, 4000 * MB)).toBe(
    "The page's JS heap is at 83 % of its limit (3.30 GB of 4.00 GB): close views of large analyses, or lower the memory budget in the settings."
  );
  expect(heapWarningText(3300 * MB, undefined)).toBeNull();
  expect(heapWarningText(0, 4000 * MB)).toBeNull();
});
