/**
 * Pure decisions of an analysis: where each block's cycles go in its group, which groups are
 * held in memory and which spill to the tensor store, which row groups are read and how many
 * at once.
 */
import type { ISubjectTaskBlock } from '../dataset/dataset-summary';
import type { ICycleGroup, ICyclePlan } from '../kernels/cycle-tensor';
import { PHASES } from '../kernels/types';

/** Where each block's cycles go: its group, and its first cycle in the group (blocks in plan order). */
export function blockLayout(groups: ICycleGroup[]): Array<{ group: number; offset: number }> {
  const layout: Array<{ group: number; offset: number }> = [];
  groups.forEach((group, g) => {
    let offset = 0;
    for (const block of group.blocks) {
      layout.push({ group: g, offset });
      offset += block.cycles;
    }
  });
  return layout;
}

/** Bytes of one group's float32 tensor. */
export function groupTensorBytes(group: ICycleGroup, features: number): number {
  return group.cycles * features * PHASES * 4;
}

/**
 * Whether each group spills to the tensor store: a group whose tensor is larger than half the
 * budget (the other half is for decoding); every other group is analysed whole, in one pass,
 * in the workers' memory.
 */
export function spillingGroups(plan: ICyclePlan, budget: number): boolean[] {
  return plan.groups.map(group => groupTensorBytes(group, plan.features.length) * 2 > budget);
}

/** The row groups that hold rows of any of `blocks`, in file order, with the blocks each holds. */
export function rowGroupsOfBlocks(rowGroupRows: number[], blocks: ISubjectTaskBlock[]): Array<{ rowGroup: number; blocks: number[] }> {
  const out: Array<{ rowGroup: number; blocks: number[] }> = [];
  let start = 0;
  rowGroupRows.forEach((rows, rowGroup) => {
    const end = start + rows;
    const inside = blocks.flatMap((block, b) => (block.spans.some(([first, length]) => first < end && first + length > start) ? [b] : []));
    if (inside.length) {
      out.push({ rowGroup, blocks: inside });
    }
    start = end;
  });
  return out;
}

/**
 * Row groups decoded or waiting at once: one per worker and one more, as far as three quarters of
 * the budget holds their whole cycles (float32; the rest is for groups that span row groups and
 * wait for their finish; the decoded columns themselves are the workers' transient overhead, see
 * the README's memory model).
 */
export function readWindow(poolSize: number, budget: number, rowGroupRows: number[], features: number): number {
  const largest = Math.max(1, ...rowGroupRows);
  return Math.max(1, Math.min(poolSize + 1, Math.floor((budget * 3) / 4 / (largest * features * 4))));
}

/** The bounds of an automatic memory budget (bytes). */
export const AUTO_BUDGET_BOUNDS = { min: 256 * 1024 ** 2, max: 2048 * 1024 ** 2 };

/**
 * The memory budget that follows the browser's hints: an eighth of the device memory
 * (`navigator.deviceMemory`, in GB, which browsers cap at 8) and at most half of the page's JS
 * heap limit (`performance.memory.jsHeapSizeLimit`: the results come back to the page), within
 * 256 MB – 2 GB; 512 MB without hints.
 */
export function autoMemoryBudget(hints: { deviceMemoryGB?: number | null; heapLimitBytes?: number | null }): number {
  let budget = 512 * 1024 ** 2;
  if (hints.deviceMemoryGB && hints.deviceMemoryGB > 0) {
    budget = (hints.deviceMemoryGB * 1024 ** 3) / 8;
  }
  if (hints.heapLimitBytes && hints.heapLimitBytes > 0) {
    budget = Math.min(budget, hints.heapLimitBytes / 2);
  }
  return Math.round(Math.min(AUTO_BUDGET_BOUNDS.max, Math.max(AUTO_BUDGET_BOUNDS.min, budget)));
}
