/**
 * Charts drawn on the server as SVG: a view model with every shape already placed, so the template only writes
 * the elements (no client JavaScript). Each chart has a title and a description for assistive technology, its
 * value written on every bar (the colour never carries the meaning alone), and the page shows its data as a table.
 */

export interface BarChartInput {
  /** Unique on the page: used for the ids the title and description are referenced by. */
  id: string;
  title: string;
  description: string;
  bars: { label: string; value: number }[];
  /** The unit named in the axis label, e.g. 'people'. */
  unit: string;
  /** What the bars along the bottom stand for, written under them (e.g. 'days taken'). */
  barsCaption?: string;
  /** The value axis reaches at least this (a rating out of 5 is drawn up to 5 even when no bar reaches it). */
  axisMax?: number;
}

export interface BarChartView {
  id: string;
  title: string;
  description: string;
  width: number;
  height: number;
  bars: { x: number; y: number; width: number; height: number; label: string; labelX: number; value: string; valueY: number }[];
  gridLines: { y: number; label: string }[];
  axis: { x1: number; x2: number; y: number; unitLabel: string; unitX: number; unitY: number; caption: string; captionX: number; captionY: number };
  empty: boolean;
}

const LEFT = 48;
const RIGHT = 12;
const TOP = 24;
const BOTTOM = 56;
const PLOT_HEIGHT = 200;
const BAR_SLOT = 64;

/** A "nice" step for the value axis: 1, 2 or 5 times a power of ten, giving about four grid lines. */
export function niceStep(max: number): number {
  if (max <= 5) return 1;
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

export function barChart(input: BarChartInput): BarChartView {
  const max = Math.max(0, input.axisMax ?? 0, ...input.bars.map((bar) => bar.value));
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const width = LEFT + RIGHT + Math.max(1, input.bars.length) * BAR_SLOT;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const baseline = TOP + PLOT_HEIGHT;
  const scale = (value: number): number => (value / top) * PLOT_HEIGHT;
  const bars = input.bars.map((bar, index) => {
    const barHeight = scale(bar.value);
    const x = LEFT + index * BAR_SLOT + 8;
    return {
      x,
      y: baseline - barHeight,
      width: BAR_SLOT - 16,
      height: barHeight,
      label: bar.label,
      labelX: x + (BAR_SLOT - 16) / 2,
      value: bar.value.toLocaleString('en-GB'),
      valueY: baseline - barHeight - 6,
    };
  });
  const gridLines: BarChartView['gridLines'] = [];
  for (let value = 0; value <= top; value += step) gridLines.push({ y: baseline - scale(value), label: value.toLocaleString('en-GB') });
  return {
    id: input.id,
    title: input.title,
    description: input.description,
    width,
    height,
    bars,
    gridLines,
    axis: { x1: LEFT, x2: width - RIGHT, y: baseline, unitLabel: input.unit, unitX: 4, unitY: TOP - 8, caption: input.barsCaption ?? '', captionX: (LEFT + width - RIGHT) / 2, captionY: height - 12 },
    empty: input.bars.every((bar) => bar.value === 0),
  };
}
