/**
 * The automatic memory budget from the browser's hints.
 */
import { AUTO_BUDGET_BOUNDS, autoMemoryBudget } from '../plan';

const MB = 1024 ** 2;

test('an eighth of the device memory, at most half the JS heap limit, within 256 MB – 2 GB', () => {
  expect(autoMemoryBudget({})).toBe(512 * MB);
  expect(autoMemoryBudget({ deviceMemoryGB: 8 })).toBe(1024 * MB);
  expect(autoMemoryBudget({ deviceMemoryGB: 4 })).toBe(512 * MB);
  expect(autoMemoryBudget({ deviceMemoryGB: 0.5 })).toBe(AUTO_BUDGET_BOUNDS.min);
  expect(autoMemoryBudget({ deviceMemoryGB: 64 })).toBe(AUTO_BUDGET_BOUNDS.max);
  expect(autoMemoryBudget({ deviceMemoryGB: 8, heapLimitBytes: 1024 * MB })).toBe(512 * MB);
  expect(autoMemoryBudget({ deviceMemoryGB: 8, heapLimitBytes: 4096 * MB })).toBe(1024 * MB);
  expect(autoMemoryBudget({ deviceMemoryGB: null, heapLimitBytes: 4096 * MB })).toBe(512 * MB);
});
