// A neighbour for benchmarks that must run on a busy machine, until killed. Two ways:
//   node bench/neighbour.mjs 0.3          burns 0.3 of one core (0 < cores <= 1): 15 ms busy in every 50 ms;
//   node bench/neighbour.mjs --target 85  holds the whole machine near 85 % busy (/proc/stat, every 250 ms): it
//                                         burns more while everyone else leaves the machine below the target and
//                                         less above it, between 0 and one core. It can only add load: when the
//                                         rest of the machine is above the target on its own, it stays idle.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let duty;
let target = null;
if (process.argv[2] === '--target') {
  target = Number(process.argv[3]);
  if (!(target > 0 && target < 100)) {
    console.error('usage: node bench/neighbour.mjs --target <machine busy %, 0 < % < 100>');
    process.exit(2);
  }
  duty = 0.3;
} else {
  duty = Number(process.argv[2] ?? '0.3');
  if (!(duty > 0 && duty <= 1)) {
    console.error('usage: node bench/neighbour.mjs <cores, 0 < cores <= 1> | --target <machine busy %>');
    process.exit(2);
  }
}

// duty × 50 ms busy in every 50 ms cycle. The share can change every 250 ms (with a target), so a pause never
// outlasts a cycle (10 ms slices with a pause of 10 / duty ms slept 20 s at a duty of 0.0005, and the neighbour
// stayed idle long after the machine had calmed down).
const cycle = 50;
function burn() {
  const busyMs = duty * cycle;
  const until = performance.now() + busyMs;
  while (performance.now() < until) { /* busy */ }
  setTimeout(burn, Math.max(0, cycle - busyMs));
}
burn();

if (target !== null) {
  // user nice system idle iowait irq softirq steal: busy = all but idle, iowait and steal.
  const ticks = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const all = f.reduce((a, b) => a + b, 0);
    return { all, free: f[3] + f[4] + f[7] };
  };
  const pointsPerCore = 100 / availableParallelism();
  let last = ticks();
  setInterval(() => {
    const now = ticks();
    const all = now.all - last.all;
    if (all > 0) {
      const busy = 100 * (all - (now.free - last.free)) / all;
      // Proportional step towards the target: half the missing share of a core per period.
      duty = Math.min(1, Math.max(0, duty + 0.5 * (target - busy) / pointsPerCore));
    }
    last = now;
  }, 250);
}
