// A value that components can watch: set `.value` and every component that
// called useSignal() on it renders again.  Enough for the session, the
// language and the current path; no store library needed.
import { useEffect, useState } from 'preact/hooks';

export function signal(initial) {
	let value = initial;
	const watchers = new Set();
	return {
		get value() {
			return value;
		},
		set value(next) {
			value = next;
			for (const w of [...watchers]) w(next);
		},
		watch(fn) {
			watchers.add(fn);
			return () => watchers.delete(fn);
		},
	};
}

export function useSignal(sig) {
	const [, setTick] = useState(0);
	useEffect(() => sig.watch(() => setTick((n) => n + 1)), [sig]);
	return sig.value;
}
