// Walks RFC 7239 Forwarded elements right to left, keeping the element whose `for` is the answer.
import type { Candidate } from './candidate.js';
import { parseForwardedNode } from './forwarded-node.js';
import type { ForwardedElement } from './forwarded-parser.js';
import type { ParsedAddress } from './ip.js';
import { type CompiledTrust, inRanges } from './trust.js';

/**
 * Walks parsed elements from the right like X-Forwarded-For. The walk stops, keeping the last trusted
 * hop as the answer, at a broken element, at one without `for`, and at a hidden (`unknown`, `_obf`)
 * or malformed node. With a trust function, each hop (`peer` at 0 first) is asked about only when an
 * element follows it. Returns the element whose `for` is the answer, or undefined when the answer is
 * still the socket peer.
 */
export function walkForwarded(
  elements: readonly ForwardedElement[],
  trust: CompiledTrust,
  allowZone: boolean,
  scratch: ParsedAddress,
  best: Candidate,
  chain: string[] | undefined,
  peer: string,
): ForwardedElement | undefined {
  const fn = trust.fn;
  let previous = peer;
  let answer: ForwardedElement | undefined;
  let index = 0;
  for (let k = elements.length - 1; k >= 0; k--) {
    const element = elements[k]!;
    if (fn !== undefined && fn(previous, index) !== true) return answer;
    index++;
    if (element.broken || element.for === undefined) return answer;
    if (parseForwardedNode(element.for, scratch, allowZone) <= 0) return answer;
    best.capture(scratch, element.for, index, allowZone);
    answer = element;
    if (chain) chain.push(best.address());
    if (fn !== undefined) previous = chain ? chain[chain.length - 1]! : best.address();
    else if (!(trust.hops > 0 ? index < trust.hops : inRanges(trust, scratch))) return answer;
  }
  return answer;
}
