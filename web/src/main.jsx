// Entry point: styles, then the app shell into #app.
import { render } from 'preact';
import './styles.css';
import { App } from './app.jsx';

render(<App />, document.getElementById('app'));
