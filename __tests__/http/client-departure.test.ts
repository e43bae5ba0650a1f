/** ClientDeparture keeps an AbortSignal's semantics for what the gateway uses of it. */
import { ClientDeparture } from '../../lib/http/client-departure';

describe('ClientDeparture', () => {
  it('runs each listener once when the client leaves, in the order registered', () => {
    const departure = new ClientDeparture();
    const calls: string[] = [];
    departure.onLeave(() => calls.push('attempt'));
    departure.onLeave(() => calls.push('pause'));
    expect(departure.left).toBe(false);
    departure.leave();
    departure.leave();
    expect(departure.left).toBe(true);
    expect(calls).toEqual(['attempt', 'pause']);
  });

  it('does not run a listener that was unregistered, and unregistering twice is harmless', () => {
    const departure = new ClientDeparture();
    const calls: string[] = [];
    const stop = departure.onLeave(() => calls.push('first'));
    departure.onLeave(() => calls.push('second'));
    stop();
    stop();
    departure.leave();
    expect(calls).toEqual(['second']);
  });

  it('does not run a listener registered after the client left (callers check `left`, as with `aborted`)', () => {
    const departure = new ClientDeparture();
    departure.leave();
    const listener = jest.fn();
    departure.onLeave(listener)();
    expect(listener).not.toHaveBeenCalled();
  });
});
