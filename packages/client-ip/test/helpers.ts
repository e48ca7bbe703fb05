// Builds the request shapes the resolver reads, without a server, for table-driven tests.
import type { ResolvableRequest } from '@lbkit/client-ip';

/** A request as node:http would hand it over: repeated header lines joined with ", " in order. */
export function fakeRequest(
  remoteAddress: string | undefined,
  headers: Record<string, string | readonly string[]> = {},
  socket: { localPort?: number; encrypted?: boolean } = {},
): ResolvableRequest {
  const joined: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    joined[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return {
    headers: joined,
    socket: { remoteAddress, localPort: socket.localPort ?? 3000, encrypted: socket.encrypted },
  };
}
