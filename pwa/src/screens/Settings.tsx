import { useEffect, useState } from 'preact/hooks';
import { getIdleMinutes, getTheme, setIdleMinutes, setTheme, type Theme } from '../settings';
import { announce, app, useStore } from '../state';
import { Section } from '../ui/bits';
import { useTitle } from '../ui/hooks';

const IDLE_CHOICES = [5, 10, 15, 30, 60];
const THEMES: [Theme, string][] = [
  ['system', 'Match this phone'],
  ['dark', 'Dark'],
  ['light', 'Light'],
];

export function Settings() {
  useTitle('Settings');
  const me = useStore(app, (s) => s.me);
  const [theme, setThemeState] = useState<Theme>(getTheme());
  const [idle, setIdle] = useState(getIdleMinutes());
  const [persisted, setPersisted] = useState<boolean | null>(null);

  useEffect(() => {
    void navigator.storage?.persisted?.().then(setPersisted).catch(() => setPersisted(null));
  }, []);

  return (
    <>
      <h1>Settings</h1>
      <Section title="You" id="you">
        <p>
          Signed in as <strong>{me?.display_name}</strong> ({me?.username}) · {me?.roles.join(', ')}
        </p>
      </Section>
      <Section title="Appearance" id="appearance">
        <div role="group" aria-label="Theme" class="row">
          {THEMES.map(([value, label]) => (
            <button
              key={value}
              type="button"
              aria-pressed={theme === value}
              data-testid={`theme-${value}`}
              onClick={() => {
                setTheme(value);
                setThemeState(value);
                announce(value === 'system' ? 'The theme follows this phone.' : `${label} theme.`);
              }}
            >
              {label}
            </button>
          ))}
        </div>
      </Section>
      <Section title="Lock" id="lock">
        <label for="idle-minutes">Lock after this long without use</label>
        <select
          id="idle-minutes"
          value={String(idle)}
          onChange={(e) => {
            const minutes = Number(e.currentTarget.value);
            setIdleMinutes(minutes);
            setIdle(minutes);
          }}
        >
          {[...new Set([...IDLE_CHOICES, idle])].sort((a, b) => a - b).map((m) => (
            <option key={m} value={String(m)}>
              {m} minutes
            </option>
          ))}
        </select>
      </Section>
      <Section title="This device" id="storage">
        <p>
          {persisted === true
            ? 'The browser keeps Lantern’s saved records even when the device is short of space.'
            : persisted === false
              ? 'The browser may clear saved records if the device runs short of space. Installing Lantern to the home screen helps keep them.'
              : 'Storage protection is not reported by this browser.'}
        </p>
      </Section>
    </>
  );
}
