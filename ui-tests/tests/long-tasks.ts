/**
 * The page's long tasks (PerformanceObserver `longtask`) against the views' `locolens:render`
 * measures: what the page thread did outside drawing.
 */
import type { Page } from '@playwright/test';

/** Start recording long tasks and forget earlier draws. */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.locolensLongTasks = [];
    new PerformanceObserver(list =>
      w.locolensLongTasks.push(...list.getEntries().map(e => ({ start: e.startTime, duration: e.duration })))
    ).observe({
      type: 'longtask',
      buffered: false
    });
    performance.clearMeasures('locolens:render');
  });
}

/** The long tasks recorded since `watchLongTasks`, those outside any draw, and the draws. */
export async function longTasksOutsideDraws(
  page: Page
): Promise<{ tasks: Array<{ start: number; duration: number }>; outside: Array<{ start: number; duration: number }>; draws: number }> {
  const { tasks, renders } = await page.evaluate(() => ({
    tasks: (window as any).locolensLongTasks as Array<{ start: number; duration: number }>,
    renders: performance.getEntriesByName('locolens:render').map(e => ({ start: e.startTime, end: e.startTime + e.duration }))
  }));
  const outside = tasks.filter(task => !renders.some(r => task.start < r.end && task.start + task.duration > r.start));
  return { tasks, outside, draws: renders.length };
}
