// Appends this jest run's totals as one JSON line to $SWITCHBOARD_TEST_REPORT, so .ci/run
// can print one summary over every workspace and both database modes.
const fs = require('node:fs');
const path = require('node:path');

const rel = (file) => path.relative(process.cwd(), file);
const firstLine = (text) => String(text ?? '').replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n')[0].slice(0, 300);

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
      // Names of what failed, so the one summary CI prints ends with them (the log of a long
      // run is often cut to its last lines).
      failures: results.testResults.flatMap((suite) => [
        ...(suite.testExecError ? [`${rel(suite.testFilePath)}: ${firstLine(suite.testExecError.message)}`] : []),
        ...suite.testResults
          .filter((t) => t.status === 'failed')
          .map((t) => `${rel(suite.testFilePath)} › ${t.fullName}: ${firstLine(t.failureMessages[0])}`),
      ]),
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}

module.exports = CountReporter;
