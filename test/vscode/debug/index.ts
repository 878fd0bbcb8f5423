/** Extension-host entry of the debugger suite: the main suite's runner, bundled here, runs the tests next to it. */
export { run } from '../suite/index';
