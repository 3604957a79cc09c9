// A screen in its own chunk: fetched when first opened, so the app shell stays small.
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText, Loading } from './bits';

export function lazyScreen<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, what: string): (props: P) => JSX.Element {
  let loaded: ComponentType<P> | null = null;
  return function Lazy(props: P) {
    const [screen, setScreen] = useState<ComponentType<P> | null>(loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (screen) return;
      let live = true;
      load()
        .then((m) => {
          loaded = m.default;
          if (live) setScreen(() => m.default);
        })
        .catch(() => live && setFailed(true));
      return () => {
        live = false;
      };
    }, [screen]);
    if (failed) return <ErrorText>Could not load {what}. Check the connection and try again.</ErrorText>;
    if (!screen) return <Loading what={what} />;
    const Screen = screen;
    return <Screen {...props} />;
  };
}
