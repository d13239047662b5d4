/**
 * One series' chart (uPlot): the value line, the expected band (lower..upper) and a marker on
 * every anomalous point. Dragging across the plot asks `onZoom` for that time range instead of
 * zooming the drawn points: the caller re-queries the server at the chart's pixel width
 * (`maxPoints`), so detail comes back as the range narrows.
 */
import uPlot from 'uplot';
import { h } from './dom.ts';
import type { Point } from './types.ts';

export interface Chart {
  el: HTMLElement;
  /** Plot width in CSS pixels: the `maxPoints` to ask for. */
  width(): number;
  /** Sizes the plot to its element's width: call once the element is in the page. */
  fit(): void;
  draw(points: Point[]): void;
  destroy(): void;
}

/** uPlot's columns: seconds, value, lower, upper, and the value only where anomalous. */
export function toColumns(points: Point[]): uPlot.AlignedData {
  const n = points.length;
  const x = new Float64Array(n);
  const value: (number | null)[] = new Array(n);
  const lower: (number | null)[] = new Array(n);
  const upper: (number | null)[] = new Array(n);
  const marks: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    x[i] = p.ts / 1000;
    value[i] = p.value;
    lower[i] = p.lower;
    upper[i] = p.upper;
    marks[i] = p.anomalous ? p.value : null;
  }
  return [x as unknown as number[], value, lower, upper, marks];
}

const HEIGHT = 260;
/** The axes' font, set rather than uPlot's default so that the value axis can measure its labels. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Room beside a value label: uPlot's tick length (10) and gap (5), and a margin. */
const LABEL_ROOM = 10 + 5 + 6;

/**
 * The axes of a chart of values over time. The value axis is as wide as its widest tick label:
 * uPlot's fixed 50 px clipped labels such as "10,000" to "0,000".
 */
export function timeValueAxes(): uPlot.Axis[] {
  let size = 50;
  return [
    { font: AXIS_FONT },
    {
      font: AXIS_FONT,
      size(u, values, _axis, cycleNum) {
        // uPlot asks again when the size moved the ticks; after two rounds it keeps the last answer.
        if (cycleNum > 1 || values === null || values === undefined) return size;
        u.ctx.font = AXIS_FONT;
        let widest = 0;
        for (const v of values) widest = Math.max(widest, u.ctx.measureText(v).width);
        size = Math.max(40, Math.ceil(widest) + LABEL_ROOM);
        return size;
      },
    },
  ];
}

export function createChart(
  title: string,
  syncKey: string,
  onZoom: (fromMs: number, toMs: number) => void,
): Chart {
  const plotEl = h('div', {
    role: 'img',
    'aria-label': `Chart of ${title}: values, expected band and anomalies`,
  });
  const el = h('section', { class: 'chart' }, h('h3', {}, title), plotEl);
  const widthNow = () => Math.max(300, Math.floor(el.clientWidth || 800));
  const plot = new uPlot(
    {
      width: widthNow(),
      height: HEIGHT,
      cursor: {
        drag: { x: true, y: false, setScale: false },
        // Charts share the cursor, not the drag: a synced drag would zoom once per chart.
        sync: { key: syncKey, filters: { pub: (type) => type !== 'mousedown' && type !== 'mouseup' } },
      },
      legend: { show: true },
      axes: timeValueAxes(),
      series: [
        {},
        { label: 'value', stroke: '#0b5cad', width: 1.5 },
        { label: 'lower', stroke: '#8c959f', width: 1, dash: [4, 4] },
        { label: 'upper', stroke: '#8c959f', width: 1, dash: [4, 4] },
        {
          label: 'anomaly',
          stroke: '#b3261e',
          fill: '#b3261e',
          paths: () => null,
          points: { show: true, size: 9, fill: '#b3261e', stroke: '#b3261e' },
        },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(11, 92, 173, 0.12)' }],
      hooks: {
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < 2) return;
            const from = u.posToVal(left, 'x') * 1000;
            const to = u.posToVal(left + width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom(Math.floor(from), Math.ceil(to));
          },
        ],
      },
    },
    [[], [], [], [], []],
    plotEl,
  );
  const onResize = () => {
    const width = widthNow();
    if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
  };
  window.addEventListener('resize', onResize);
  return {
    el,
    width: () => plot.width,
    fit: onResize,
    draw: (points) => plot.setData(toColumns(points)),
    destroy: () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    },
  };
}
