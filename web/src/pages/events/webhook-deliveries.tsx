import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Badge } from '../../components/badge';
import { EmptyState, QueryView } from '../../components/states';
import { dateTime, relative } from '../runs/format';
import { eventKeys, eventsApi } from './api';

/**
 * The endpoint's latest deliveries (the API keeps 50 of each kind), newest first: accepted ones
 * link to their event; refused ones show the status, code and reason the sender got. Polled every
 * 3 s, so a sender being set up can watch its attempts arrive.
 */
export function Deliveries({ endpointId }: { endpointId: string }) {
  const deliveries = useQuery({
    queryKey: eventKeys.deliveries(endpointId),
    queryFn: ({ signal }) => eventsApi.deliveries(endpointId, signal),
    refetchInterval: 3000,
  });
  return (
    <section className="card" aria-labelledby="deliveries-heading">
      <div className="card-header">
        <h2 id="deliveries-heading">Recent deliveries</h2>
        <Link to={`/events?endpointId=${endpointId}`}>Its events in the log</Link>
      </div>
      <QueryView
        query={deliveries}
        loadingLabel="Loading deliveries…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No deliveries yet">
            <p>Give the URL to your sender, or send a test.</p>
          </EmptyState>
        }
      >
        {(data) => (
          <div className="table-wrap">
            <table className="work-table">
              <caption className="visually-hidden">Recent deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                  <th scope="col">Event or reason</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d, i) => (
                  <tr key={`${d.at}-${i}`} data-delivery={d.accepted ? 'accepted' : 'refused'}>
                    <td title={dateTime(d.at)}>{relative(d.at)}</td>
                    <td>
                      <Badge tone={d.accepted ? 'success' : 'danger'}>
                        {d.accepted ? 'accepted' : 'refused'} {d.status}
                      </Badge>
                    </td>
                    <td className="wrap">
                      {d.accepted && d.eventId ? (
                        <Link to={`/events?event=${d.eventId}`}>
                          <code>{d.eventType}</code> event
                        </Link>
                      ) : (
                        <>
                          <code>{d.code}</code> {d.reason}
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
