// Vite builds the front end into dist/: index.html plus content-hashed files
// under assets/, which `marketplace serve` caches for a year (the name
// changes with the content).  JSX goes to Preact through esbuild alone.
import { defineConfig } from 'vite';

export default defineConfig({
	esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
	build: {
		outDir: 'dist',
		emptyOutDir: true,
		assetsDir: 'assets',
		target: 'es2020',
		// The server's CSP allows no inline script or style: nothing inlined.
		assetsInlineLimit: 0,
		modulePreload: { polyfill: false },
		reportCompressedSize: false,
	},
	server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
