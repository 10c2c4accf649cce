// An accessible bar chart drawn as inline SVG by Preact (the CSP allows no
// chart library's inline styles, and none is needed): one group of bars per
// category, an optional target line or band, gridlines with their values.
// The SVG is role="img" with a caller-written summary as its name; the
// numbers themselves are always shown again in a table beside it by the
// caller, so nothing is said by the picture alone.  The drawing takes the
// width of its box (measured with a ResizeObserver) so that its text stays
// legible from a 375 px phone to a desktop, and the viewBox follows it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import '../styles/admin.css';
import '../i18n/admin.js';

const HEIGHT = 220;
let chartSeq = 0;
const PAD = { top: 22, right: 12, bottom: 28, left: 44 };

// A "nice" upper bound and step for the axis: 1, 2 or 5 times a power of ten.
// Counts (`integer`) step by whole numbers.
function axis(max, integer) {
	if (!(max > 0)) return integer ? { top: 1, step: 1 } : { top: 1, step: 0.25 };
	const raw = integer ? Math.max(1, max / 4) : max / 4;
	const pow = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw);
	return { top: Math.ceil(max / step) * step, step };
}

// Watches the width of the element `ref` points at.
function useWidth(ref, initial) {
	const [width, setWidth] = useState(initial);
	useEffect(() => {
		const el = ref.current;
		if (!el || typeof ResizeObserver === 'undefined') return undefined;
		const ro = new ResizeObserver((entries) => {
			const w = Math.round(entries[0].contentRect.width);
			if (w > 0) setWidth(w);
		});
		ro.observe(el);
		return () => ro.disconnect();
	}, []);
	return width;
}

/*
 * label:      the accessible summary (what the chart shows, in words);
 * categories: the x labels (years, months);
 * series:     [{name, values: [number|null]}], at most two (the second is hatched);
 * target:     optional {min, max, text}: a dashed line at min, a band up to max;
 * format:     renders an axis or bar value (a number) as text;
 * integer:    the values are counts (the axis steps by whole numbers).
 */
export function BarChart({ label, categories, series, target, format = String, integer = false }) {
	const box = useRef(null);
	const [hatch] = useState(() => `chart-hatch-${++chartSeq}`);
	const width = Math.max(useWidth(box, 600), 240);
	const innerW = width - PAD.left - PAD.right;
	const innerH = HEIGHT - PAD.top - PAD.bottom;
	const values = series.flatMap((s) => s.values).filter((v) => typeof v === 'number');
	const { top, step } = axis(Math.max(0, ...values, target?.max ?? target?.min ?? 0), integer);
	const y = (v) => PAD.top + innerH - (v / top) * innerH;
	const slot = innerW / categories.length;
	const barW = Math.min(36, (slot * 0.7) / series.length);
	// Thin out the x labels when they would touch (about 7 px a character).
	const longest = Math.max(...categories.map((c) => String(c).length));
	const every = Math.max(1, Math.ceil((longest * 7 + 6) / slot));
	const showValues = barW * series.length >= 22 && slot >= 34;
	const ticks = [];
	for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);

	return (
		<div class="chart" ref={box}>
			<svg
				role="img"
				aria-label={label}
				viewBox={`0 0 ${width} ${HEIGHT}`}
				width="100%"
				height={HEIGHT}
				preserveAspectRatio="xMinYMin meet"
				focusable="false"
			>
				<defs>
					<pattern id={hatch} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
						<rect width="6" height="6" class="chart-bar-2-bg" />
						<line x1="0" y1="0" x2="0" y2="6" class="chart-hatch-line" />
					</pattern>
				</defs>
				{ticks.map((v) => (
					<g key={v}>
						<line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} class="chart-grid" />
						<text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" class="chart-tick">{format(v)}</text>
					</g>
				))}
				{target && target.max != null && target.max !== target.min ? (
					<rect x={PAD.left} width={innerW} y={y(target.max)} height={Math.max(0, y(target.min) - y(target.max))} class="chart-band" />
				) : null}
				{categories.map((c, i) => {
					const x0 = PAD.left + i * slot + (slot - barW * series.length) / 2;
					return (
						<g key={c}>
							{series.map((s, k) => {
								const v = s.values[i];
								if (typeof v !== 'number') return null;
								const bx = x0 + k * barW;
								return (
									<g key={s.name}>
										<rect x={bx + 1} width={barW - 2} y={y(v)} height={Math.max(0, y(0) - y(v))} class={`chart-bar chart-bar-${k + 1}`} fill={k === 1 ? `url(#${hatch})` : undefined} />
										{showValues ? (
											<text x={bx + barW / 2} y={y(v) - 4} text-anchor="middle" class="chart-value">{format(v)}</text>
										) : null}
									</g>
								);
							})}
							{i % every === 0 ? (
								<text x={PAD.left + i * slot + slot / 2} y={HEIGHT - 8} text-anchor="middle" class="chart-tick">{c}</text>
							) : null}
						</g>
					);
				})}
				{target && target.min != null ? (
					<g>
						<line x1={PAD.left} x2={width - PAD.right} y1={y(target.min)} y2={y(target.min)} class="chart-target" />
						<text x={width - PAD.right} y={y(target.max ?? target.min) - 5} text-anchor="end" class="chart-target-text">{target.text}</text>
					</g>
				) : null}
				<line x1={PAD.left} x2={width - PAD.right} y1={y(0)} y2={y(0)} class="chart-axis" />
			</svg>
			<ul class="chart-legend" aria-hidden="true">
				{series.map((s, k) => (
					<li key={s.name}><span class={`chart-swatch chart-swatch-${k + 1}`} />{s.name}</li>
				))}
				{target && target.min != null ? <li><span class="chart-swatch chart-swatch-target" />{t('admin.chart.target')}</li> : null}
			</ul>
		</div>
	);
}
