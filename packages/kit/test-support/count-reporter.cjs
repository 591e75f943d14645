// Appends this jest run's totals as one JSON line to $SWITCHBOARD_TEST_REPORT, so .ci/run
// can print one summary over every workspace and both database modes.
const fs = require('node:fs');

class CountReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.SWITCHBOARD_TEST_REPORT;
    if (!file) return;
    const line = {
      workspace: process.cwd(),
      mode: process.env.DATABASE_URL ? 'postgres' : 'embedded',
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}

module.exports = CountReporter;
