import { app, useStore } from '../state';
import { useTitle } from '../ui/hooks';

export function AdminHome() {
  useTitle('Administration');
  const me = useStore(app, (s) => s.me);
  return (
    <>
      <h1>Administration</h1>
      <p>
        Signed in as {me?.display_name}. Users, teams, rotas and escalation policies are managed through the API
        (<code>/api/v1/teams</code>, <code>/api/v1/users</code>) and the <code>lantern</code> command line.
      </p>
    </>
  );
}
