/**
 * The locolens icon: a gait-cycle curve over a phase axis.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <path d="M2 20h20"/>
    <path d="M3 15c2-1 3-3 5-3s2 4 4 4 2-11 5-11 3 9 4 10"/>
  </g>
</svg>`;

/** The locolens icon. */
export const locolensIcon = new LabIcon({ name: 'locolens:icon', svgstr: svg });
