// The places chunk: loaded on first use (dynamic import), outside the app shell's budget.
export { PlaceProfileScreen } from './PlaceProfileScreen';
export { NetworkScreen } from './NetworkScreen';
export { PlacesList } from './PlacesList';
