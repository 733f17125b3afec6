import type { IGroupAnalysis } from '../../core/analysis/result';
import { unitLabel, variableAxisTitle, variableLabel } from '../../core/dataset/variable-names';
import { PHASES } from '../../core/kernels/types';
import { toCsv } from '../../lab/export-results';
import { comparisonFigure, cycleScatterFigure, PHASE_PERCENT, patternFigure, romFigure, type IPlotTheme } from '../figures';
import {
  checkPublicationOptions,
  DEFAULT_PUBLICATION_OPTIONS,
  figureSize,
  figureTable,
  GRAYSCALE_PALETTE,
  JOURNAL_PALETTE,
  LAYOUT_UNITS_PER_POINT,
  LINE_WIDTHS,
  pdfSafeSvg,
  physicalSvg,
  plotMeta,
  publicationFigure,
  type IPublicationOptions
} from '../publication';

const THEME: IPlotTheme = {
  font: '#eeeeee',
  fontSecondary: '#cccccc',
  background: '#111111',
  grid: '#333333',
  accent: '#1976d2',
  cycle: '#777777',
  outlier: '#ff0000',
  invalid: '#ffa500',
  palette: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728']
};

const NAME = 'knee_flexion_angle_ipsi_rad';

/** A group of `cycles` cycles of one feature (cycle c: sin + c / 10), cycle 1 an outlier, cycle 2 invalid. */
function group(cycles = 4, subjects = ['S<1>'], task = 'level_walking'): { group: IGroupAnalysis; samples: Float32Array } {
  const samples = new Float32Array(cycles * PHASES);
  const mean = new Float64Array(PHASES);
  const std = new Float64Array(PHASES);
  for (let c = 0; c < cycles; c++) {
    for (let p = 0; p < PHASES; p++) {
      samples[c * PHASES + p] = Math.sin((2 * Math.PI * p) / PHASES) + c / 10;
    }
  }
  samples[3 * PHASES + 7] = NaN;
  for (let p = 0; p < PHASES; p++) {
    mean[p] = Math.sin((2 * Math.PI * p) / PHASES) + 0.15;
    std[p] = 0.1 + p / 1000;
  }
  const rom = new Float64Array(cycles).map((_, c) => 2 + c / 7);
  const result = {
    task,
    subjects,
    cycles,
    cycleSubjects: Array.from({ length: cycles }, (_, c) => subjects[c % subjects.length]),
    cycleIndex: Array.from({ length: cycles }, (_, c) => c),
    features: [NAME],
    perCycle: { rom },
    patterns: { mean, std },
    outliers: { cycles: [1], cut: 0.5, rmse: new Float64Array(cycles) },
    validation: { valid: Uint8Array.from({ length: cycles }, (_, c) => (c === 2 ? 0 : 1)) }
  } as unknown as IGroupAnalysis;
  return { group: result, samples };
}

const OPTIONS: IPublicationOptions = { ...DEFAULT_PUBLICATION_OPTIONS, widthMm: 85, heightMm: 60, dpi: 300 };

type Trace = Record<string, any>;

describe('figureSize', () => {
  it('gives PNG pixels as inches × DPI and points as inches × 72', () => {
    const size = figureSize(OPTIONS);
    expect(size.widthPx).toBe(1004); // 85 / 25.4 × 300 = 1003.9
    expect(size.heightPx).toBe(709); // 60 / 25.4 × 300 = 708.7
    expect(size.widthPt).toBeCloseTo((85 / 25.4) * 72, 10);
    expect(size.heightPt).toBeCloseTo((60 / 25.4) * 72, 10);
    expect(size.scale).toBeCloseTo(300 / 144, 12);
    // Layout units are half points.
    expect(size.layoutWidth).toBeCloseTo(2 * size.widthPt, 10);
    expect(size.layoutHeight).toBeCloseTo(2 * size.heightPt, 10);
    // The canvas truncates layout × scale: half a pixel over lands on the pixel count.
    expect(Math.floor(size.pngLayoutWidth * size.scale)).toBe(1004);
    expect(Math.floor(size.pngLayoutHeight * size.scale)).toBe(709);
  });

  it('takes inches, and mm before inches', () => {
    const size = figureSize({ ...OPTIONS, widthMm: undefined, heightMm: undefined, widthIn: 3.5, heightIn: 2.5, dpi: 600 });
    expect([size.widthPx, size.heightPx]).toEqual([2100, 1500]);
    expect([size.widthPt, size.heightPt]).toEqual([252, 180]);
    expect(size.widthMm).toBeCloseTo(88.9, 10);
    expect(figureSize({ ...OPTIONS, widthIn: 10, dpi: 72 }).widthPx).toBe(241);
    for (const [mm, dpi, px] of [
      [174, 600, 4110],
      [50, 96, 189],
      [25.4, 1000, 1000]
    ]) {
      const s = figureSize({ ...OPTIONS, widthMm: mm, dpi });
      expect(s.widthPx).toBe(px);
      expect(Math.floor(s.pngLayoutWidth * s.scale)).toBe(px);
    }
  });

  it('refuses sizes, DPIs and fonts out of range, and PNGs too large to draw', () => {
    expect(checkPublicationOptions(OPTIONS)).toBeNull();
    expect(checkPublicationOptions({ ...OPTIONS, widthMm: 5 })).toMatch(/between 20 and 600 mm/);
    expect(checkPublicationOptions({ ...OPTIONS, heightMm: NaN })).toMatch(/between 20 and 600 mm/);
    expect(checkPublicationOptions({ ...OPTIONS, dpi: 10 })).toMatch(/DPI/);
    expect(checkPublicationOptions({ ...OPTIONS, fontSize: 80 })).toMatch(/font size/);
    expect(checkPublicationOptions({ ...OPTIONS, format: 'gif' as 'png' })).toMatch(/format/);
    expect(checkPublicationOptions({ ...OPTIONS, widthMm: 500, dpi: 1200 })).toMatch(/too large for a PNG/);
    expect(checkPublicationOptions({ ...OPTIONS, widthMm: 500, dpi: 1200, format: 'pdf' })).toBeNull();
  });
});

describe('units and axis titles from variable names', () => {
  it.each([
    ['knee_flexion_angle_ipsi_rad', 'rad', 'Knee flexion angle, ipsi (rad)'],
    ['hip_flexion_angle_contra_deg', 'deg', 'Hip flexion angle, contra (deg)'],
    ['ankle_dorsiflexion_moment_ipsi_Nm_kg', 'N·m/kg', 'Ankle dorsiflexion moment, ipsi (N·m/kg)'],
    ['knee_flexion_moment_ipsi_Nm', 'N·m', 'Knee flexion moment, ipsi (N·m)'],
    ['grf_vertical_ipsi_N', 'N', 'Vertical GRF, ipsi (N)'],
    ['grf_anterior_contra_BW', 'BW', 'Anterior GRF, contra (BW)'],
    ['hip_flexion_velocity_ipsi_rad_s', 'rad/s', 'Hip flexion velocity, ipsi (rad/s)'],
    ['knee_flexion_acceleration_ipsi_rad_s2', 'rad/s²', 'Knee flexion acceleration, ipsi (rad/s²)'],
    ['ankle_dorsiflexion_power_ipsi_W_kg', 'W/kg', 'Ankle dorsiflexion power, ipsi (W/kg)'],
    ['cop_anterior_ipsi_m', 'm', 'Anterior CoP, ipsi (m)'],
    ['pelvis_tilt_angle_rad', 'rad', 'Pelvis tilt angle (rad)'],
    ['my_custom_signal_W', 'W', 'My custom signal (W)'],
    ['stride_count', '', 'Stride count']
  ])('%s → %s', (name, unit, title) => {
    expect(unitLabel(name)).toBe(unit);
    expect(variableAxisTitle(name)).toBe(title);
  });

  it('puts a prefix before the words', () => {
    expect(variableAxisTitle(NAME, 'ROM of')).toBe('ROM of knee flexion angle, ipsi (rad)');
    expect(variableLabel('hip_flexion_angle_ipsi_rad')).toBe('Hip flexion angle, ipsi');
  });
});

describe('publicationFigure', () => {
  const { group: g, samples } = group();
  const figure = patternFigure(g, 0, samples, THEME);
  const styled = publicationFigure(figure, OPTIONS, { phaseAxis: true, variable: NAME });
  const traces = styled.data as Trace[];
  const byName = (name: string) => traces.find(trace => trace.name === name || String(trace.name).startsWith(`${name} (`))!;

  // Layout units are half points: 8 pt is 16 units.
  const u = LAYOUT_UNITS_PER_POINT;

  it('is the size asked, on white, in the font and size asked', () => {
    const layout = styled.layout as Record<string, any>;
    expect(u).toBe(2);
    expect(layout.width).toBeCloseTo((85 / 25.4) * 72 * u, 10);
    expect(layout.height).toBeCloseTo((60 / 25.4) * 72 * u, 10);
    expect(layout.autosize).toBe(false);
    expect(layout.font).toEqual({ family: OPTIONS.fontFamily, size: 8 * u, color: '#000000' });
    expect(layout.paper_bgcolor).toBe('#ffffff');
    expect(layout.plot_bgcolor).toBe('#ffffff');
    expect(layout.title.text).toBe('');
    for (const axis of [layout.xaxis, layout.yaxis]) {
      expect(axis.title.font.size).toBe(8 * u);
      expect(axis.tickfont.size).toBe(8 * u);
      expect(axis.linewidth).toBe(LINE_WIDTHS.axis * u);
      expect(axis.linecolor).toBe('#000000');
      expect(axis.showgrid).toBe(false);
      expect(axis.ticks).toBe('outside');
    }
    expect(layout.legend.font.size).toBe(7 * u);
    // Another font size and family.
    const big = publicationFigure(figure, { ...OPTIONS, fontSize: 10, fontFamily: 'Times New Roman, Times, serif' }).layout as Record<
      string,
      any
    >;
    expect(big.font).toEqual({ family: 'Times New Roman, Times, serif', size: 10 * u, color: '#000000' });
    expect(big.xaxis.tickfont.size).toBe(10 * u);
  });

  it('labels the phase axis "Gait cycle (%)" over 0–100 % and the y axis with the variable and its unit', () => {
    const layout = styled.layout as Record<string, any>;
    expect(layout.xaxis.title.text).toBe('Gait cycle (%)');
    expect(layout.xaxis.range).toEqual([0, 100]);
    expect(layout.xaxis.dtick).toBe(20);
    expect(layout.yaxis.title.text).toBe('Knee flexion angle, ipsi (rad)');
    // Without meta, the figure's own phase title is recognised.
    expect((publicationFigure(figure, OPTIONS).layout as Record<string, any>).xaxis.title.text).toBe('Gait cycle (%)');
  });

  it('draws the cycles thin and gray, the mean thick and black, the band gray; no WebGL, no hover', () => {
    expect(traces.every(trace => trace.type === 'scatter')).toBe(true);
    expect(traces.every(trace => trace.hovertemplate === undefined && trace.hoverinfo === 'skip')).toBe(true);
    expect(byName('cycles').line).toEqual({ color: '#a6a6a6', width: LINE_WIDTHS.background * u, dash: 'solid' });
    expect(byName('mean').line).toEqual({ color: '#000000', width: LINE_WIDTHS.emphasis * u, dash: 'solid' });
    expect(byName('mean ± 1 SD').fillcolor).toBe('rgba(0,0,0,0.15)');
    expect(byName('outliers').line.color).toBe('#D55E00');
    // The data are the figure's own.
    expect(byName('mean').y).toBe((figure.data as Trace[]).find(trace => trace.name === 'mean')!.y);
  });

  it('grayscale: every line is black or gray, and highlighted kinds differ by dash', () => {
    const gray = publicationFigure(figure, { ...OPTIONS, style: 'journal-grayscale' }, { phaseAxis: true, variable: NAME }).data as Trace[];
    const isGray = (color: string) => {
      const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
      return match !== null && match[1] === match[2] && match[2] === match[3];
    };
    for (const trace of gray) {
      if (trace.line.width > 0) {
        expect(isGray(trace.line.color)).toBe(true);
      }
    }
    const dashes = ['outliers (1)', 'invalid (1)', 'mean'].map(name => gray.find(trace => trace.name === name)!.line.dash);
    expect(new Set(dashes).size).toBe(3);
    expect(GRAYSCALE_PALETTE.every(isGray)).toBe(true);
  });

  it('gives each compared series its own colour and dash (distinct in grayscale too)', () => {
    const groups = ['a', 'b', 'c', 'd', 'e'].map(task => group(3, ['S1'], task).group);
    const compared = comparisonFigure(groups, NAME, x => x.task, THEME);
    for (const style of ['journal', 'journal-grayscale'] as const) {
      const lines = (publicationFigure(compared, { ...OPTIONS, style }, { phaseAxis: true, variable: NAME }).data as Trace[]).map(
        trace => trace.line
      );
      expect(lines.every(line => line.width === LINE_WIDTHS.series * u)).toBe(true);
      expect(new Set(lines.map(line => line.dash)).size).toBe(5);
      expect(new Set(lines.map(line => line.color)).size).toBe(5);
      for (const line of lines) {
        expect((style === 'journal' ? JOURNAL_PALETTE : GRAYSCALE_PALETTE).includes(line.color)).toBe(true);
      }
    }
  });

  it('puts the legend above the plot, right of it, or leaves it out', () => {
    const place = (legend?: 'top' | 'right' | 'none') => publicationFigure(figure, { ...OPTIONS, legend }).layout as Record<string, any>;
    expect(place().showlegend).toBe(true);
    expect(place().legend).toMatchObject({ orientation: 'h', y: 1.02, yanchor: 'bottom' });
    expect(place('right').legend).toMatchObject({ orientation: 'v', x: 1.02, xanchor: 'left' });
    expect(place('none').showlegend).toBe(false);
    expect(checkPublicationOptions({ ...OPTIONS, legend: 'left' as 'top' })).toMatch(/legend/);
  });

  it('draws the cycle plot with markers told apart by symbol, and the outlier cut as a black dotted line', () => {
    const scatter = cycleScatterFigure(g, 0, THEME, [0]);
    const styled = publicationFigure(scatter, OPTIONS, plotMeta('cycles', NAME));
    const markers = (styled.data as Trace[]).map(trace => trace.marker);
    expect(new Set(markers.map(marker => marker.symbol)).size).toBe(3);
    expect((styled.data as Trace[]).every(trace => trace.type === 'scatter' && trace.selectedpoints === undefined)).toBe(true);
    expect((styled.layout.shapes as Trace[])[0].line).toEqual({ color: '#000000', width: LINE_WIDTHS.axis * u, dash: 'dot' });
    const layout = styled.layout as Record<string, any>;
    expect(layout.xaxis.title.text).toBe('ROM of knee flexion angle, ipsi (rad)');
    expect(layout.yaxis.title.text).toBe('RMSE from the mean pattern');
    expect(layout.dragmode).toBe(false);
  });

  it('fills bars and outlines them in black', () => {
    const bars = publicationFigure(
      { data: [{ type: 'bar', orientation: 'h', x: [1, 2], y: ['a', 'b'] }], layout: {} },
      { ...OPTIONS, style: 'journal-grayscale' },
      { xTitle: 'Time (ms)' }
    );
    expect((bars.data[0] as Trace).marker.line).toEqual({ color: '#000000', width: LINE_WIDTHS.background * LAYOUT_UNITS_PER_POINT });
    expect(GRAYSCALE_PALETTE).toContain((bars.data[0] as Trace).marker.color);
    expect((bars.layout as Record<string, any>).xaxis.title.text).toBe('Time (ms)');
  });

  it('names the axes of each kind of plot', () => {
    expect(plotMeta('patterns', NAME)).toEqual({ phaseAxis: true, variable: NAME });
    expect(plotMeta('population', NAME)).toEqual({ phaseAxis: true, variable: NAME });
    expect(plotMeta('rom', NAME)).toEqual({ xTitle: 'Subject', yTitle: 'ROM of knee flexion angle, ipsi (rad)' });
    expect(plotMeta('correlation', NAME)).toEqual({ xTitle: '', yTitle: '' });
  });

  it('keeps a dozen series apart by their colour and dash pairs', () => {
    const groups = Array.from({ length: 12 }, (_, k) => group(2, ['S1'], `task${k}`).group);
    const compared = comparisonFigure(groups, NAME, x => x.task, THEME);
    for (const style of ['journal', 'journal-grayscale'] as const) {
      const lines = (publicationFigure(compared, { ...OPTIONS, style }).data as Trace[]).map(
        trace => `${trace.line.color} ${trace.line.dash}`
      );
      expect(new Set(lines).size).toBe(12);
    }
  });

  it('keeps the title when asked, one point larger', () => {
    const layout = publicationFigure(figure, { ...OPTIONS, title: true }).layout as Record<string, any>;
    expect(layout.title.text).toContain('level_walking');
    expect(layout.title.font.size).toBe(9 * u);
  });
});

/** Parse CSV as toCsv writes it (quoted fields with "" escapes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
  }
  return rows;
}

describe('figureTable: the numbers behind a figure', () => {
  it('a pattern figure: x, each cycle by its label, the band edges and the mean, equal to the drawn numbers (through CSV)', () => {
    const { group: g, samples } = group();
    const figure = patternFigure(g, 0, samples, THEME);
    const table = figureTable(figure, { phaseAxis: true, variable: NAME });
    const names = Object.keys(table);
    // The traces' order: ordinary cycles, invalid, outliers, the band, the mean.
    expect(names).toEqual([
      'Gait cycle (%)',
      'S<1> · level_walking · cycle 0',
      'S<1> · level_walking · cycle 3',
      'S<1> · level_walking · cycle 2 (invalid)',
      'S<1> · level_walking · cycle 1 (outlier)',
      'mean ± 1 SD (lower)',
      'mean ± 1 SD (upper)',
      'mean'
    ]);
    expect(Array.from(table['Gait cycle (%)'] as Float64Array)).toEqual(PHASE_PERCENT);
    const rows = parseCsv(toCsv(table));
    expect(rows[0]).toEqual(names);
    expect(rows).toHaveLength(PHASES + 1);
    const column = (name: string) => rows.slice(1).map(row => (row[names.indexOf(name)] === '' ? NaN : Number(row[names.indexOf(name)])));
    for (let c = 0; c < 4; c++) {
      const name = names.find(n => n.startsWith(`S<1> · level_walking · cycle ${c}`))!;
      expect(column(name)).toEqual(Array.from(samples.subarray(c * PHASES, (c + 1) * PHASES)));
    }
    expect(column('mean')).toEqual(Array.from(g.patterns.mean));
    expect(column('mean ± 1 SD (upper)')).toEqual(Array.from(g.patterns.mean, (m, p) => m + g.patterns.std[p]));
    expect(column('mean ± 1 SD (lower)')).toEqual(Array.from(g.patterns.mean, (m, p) => m - g.patterns.std[p]));
    // The missing sample is an empty field.
    expect(rows[1 + 7][names.indexOf('S<1> · level_walking · cycle 3')]).toBe('');
  });

  it('a comparison: one column per series, named by the trace', () => {
    const groups = ['a', 'b'].map(task => group(3, ['S1'], task).group);
    const table = figureTable(
      comparisonFigure(groups, NAME, x => x.task, THEME),
      { phaseAxis: true }
    );
    expect(Object.keys(table)).toEqual(['Gait cycle (%)', 'a (3)', 'b (3)']);
    expect(Array.from(table['a (3)'] as Float64Array)).toEqual(Array.from(groups[0].patterns.mean));
  });

  it('boxes: one row per point with its trace, label and value', () => {
    const { group: g } = group(4, ['S1', 'S2']);
    const table = figureTable(romFigure(g, 0, THEME), { xTitle: 'Subject', yTitle: 'ROM (rad)' });
    expect(Object.keys(table)).toEqual(['trace', 'label', 'Subject', 'ROM (rad)']);
    expect(table.trace).toEqual(['S1', 'S1', 'S2', 'S2']);
    expect(table.label).toEqual(['S1 · cycle 0', 'S1 · cycle 2', 'S2 · cycle 1', 'S2 · cycle 3']);
    expect(Array.from(table['ROM (rad)'] as Float64Array)).toEqual([0, 2, 1, 3].map(c => g.perCycle.rom[c]));
  });

  it('a heatmap: a row per cell with x, y and z', () => {
    const table = figureTable({
      data: [
        {
          type: 'heatmap',
          x: ['a', 'b'],
          y: ['c', 'd'],
          z: [
            [1, 2],
            [3, null]
          ]
        } as never
      ],
      layout: {}
    });
    expect(table.x).toEqual(['a', 'b', 'a', 'b']);
    expect(table.y).toEqual(['c', 'c', 'd', 'd']);
    expect(Array.from(table.z as Float64Array)).toEqual([1, 2, 3, NaN]);
  });
});

describe('SVG post-processing', () => {
  const size = figureSize(OPTIONS);
  it('gives the SVG its physical size in mm and a viewBox in points', () => {
    const svg = physicalSvg(
      '<?xml version="1.0"?><svg class="main-svg" xmlns="http://www.w3.org/2000/svg" width="241" height="170" viewBox="0 0 241 170"><g/></svg>',
      size
    );
    expect(svg).toContain('width="85mm"');
    expect(svg).toContain('height="60mm"');
    expect(svg).toContain(`viewBox="0 0 ${Math.round(size.layoutWidth * 1000) / 1000} ${Math.round(size.layoutHeight * 1000) / 1000}"`);
    expect(svg.startsWith('<?xml version="1.0"?><svg ')).toBe(true);
    expect(svg).toContain('<g/></svg>');
    expect(physicalSvg('<svg xmlns="http://www.w3.org/2000/svg"></svg>', size)).toMatch(
      /^<svg viewBox="[^"]+" height="60mm" width="85mm" xmlns/
    );
    expect(() => physicalSvg('<html></html>', size)).toThrow(/not an SVG/);
  });

  it('writes minus signs a PDF font has', () => {
    expect(pdfSafeSvg('<text>\u22120.5</text>')).toBe('<text>-0.5</text>');
  });
});
