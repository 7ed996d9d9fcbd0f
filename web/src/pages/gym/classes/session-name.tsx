import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { gymApi, gymKeys, lookups } from '../api';
import { dayKey, startOfWeek } from './week';

/** A session as its class's name, linking to its week with the session open ("Trial: Yoga" for a trial). */
export function SessionName({ id, trial = false }: { id: string; trial?: boolean }) {
  const session = useQuery({ queryKey: gymKeys.session(id), queryFn: ({ signal }) => gymApi.session(id, signal), staleTime: 60_000 });
  const classes = useQuery(lookups.classes);
  if (!session.data) return <span className="muted">{trial ? 'Trial' : 'Class'}</span>;
  const name = classes.data?.find((c) => c.id === session.data.classId)?.name ?? 'Class';
  const week = dayKey(startOfWeek(new Date(session.data.startsAt)));
  return (
    <Link to={`/gym/classes?week=${week}&session=${id}`}>
      {trial ? `Trial: ${name}` : name}
    </Link>
  );
}
