/**
 * The plot colours of the JupyterLab theme in effect, read from its CSS variables (the one place
 * the figures meet the DOM).
 */
import type { IPlotTheme } from './figures';

/** The plot colours of the theme in effect, from JupyterLab's CSS variables. */
export function readTheme(node: HTMLElement): IPlotTheme {
  const style = getComputedStyle(node);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    font: v('--jp-ui-font-color1', '#212121'),
    fontSecondary: v('--jp-ui-font-color2', '#616161'),
    background: v('--jp-layout-color0', '#ffffff'),
    grid: v('--jp-border-color2', '#e0e0e0'),
    accent: v('--jp-brand-color1', '#1976d2'),
    cycle: v('--jp-layout-color4', '#9e9e9e'),
    outlier: v('--jp-error-color1', '#d32f2f'),
    invalid: v('--jp-warn-color1', '#f57c00'),
    palette: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
  };
}
