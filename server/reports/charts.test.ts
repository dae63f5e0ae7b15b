import { barChart, niceStep } from './charts';

describe('server-drawn bar charts', () => {
  it('picks axis steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(3)).toBe(1);
    expect(niceStep(5)).toBe(1);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(18)).toBe(5);
    expect(niceStep(2_400)).toBe(1_000);
  });

  it('draws bars in proportion, each with its value written on it, and an empty chart says so', () => {
    const chart = barChart({ id: 'c', title: 'T', description: 'D', unit: 'people', bars: [{ label: 'a', value: 5 }, { label: 'b', value: 10 }] });
    const [small, large] = chart.bars;
    expect(large?.height).toBeCloseTo((small?.height ?? 0) * 2);
    expect(chart.bars.map((bar) => bar.value)).toEqual(['5', '10']);
    expect(chart.gridLines[0]?.label).toBe('0');
    expect(chart.empty).toBe(false);
    expect(barChart({ id: 'e', title: 'T', description: 'D', unit: 'people', bars: [{ label: 'a', value: 0 }] }).empty).toBe(true);
  });

  it('reaches axisMax on the value axis when no bar does (a rating out of 5)', () => {
    const chart = barChart({ id: 'r', title: 'T', description: 'D', unit: 'rating', bars: [{ label: 'a', value: 3.5 }], axisMax: 5 });
    expect(chart.gridLines.map((line) => line.label)).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});
