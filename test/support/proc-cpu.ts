/**
 * CPU time of a process from /proc/PID/stat (Linux): utime + stime of all its threads, and of its
 * live children (a peer started through a wrapper), in seconds. For benchmarks.
 */
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // /proc stat times are in 1/100 s on Linux

export function cpuSeconds(pid: number, part: 'user' | 'system' | 'both' = 'both'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let s = ((part !== 'system' ? Number(f[11]) : 0) + (part !== 'user' ? Number(f[12]) : 0)) / USER_HZ;
  let kids: string[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    /* gone */
  }
  for (const k of kids) s += cpuSeconds(Number(k), part);
  return s;
}
