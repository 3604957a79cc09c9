// The hub meeting chunk: loaded on first use (dynamic import), outside the app shell's budget.
export { HubList } from './HubList';
export { HubPackScreen } from './HubPackScreen';
