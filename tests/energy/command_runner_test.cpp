// run_measured_command: exit statuses, exec failure, the child's CPU time in the estimate.
#include "eden/energy/command_runner.h"

#include <gtest/gtest.h>

#include "fake_powercap.h"

namespace eden::energy {
namespace {

using testing::ScopedEnv;

MonitorOptions quiet_estimation_only() {
  MonitorOptions options;
  options.print_warnings = false;
  options.sample_period_s = 0.01;
  options.meters.use_nvml = false;
  options.meters.use_rapl = false;
  return options;
}

TEST(CommandRunner, ExitStatusAndSignals) {
  EXPECT_EQ(run_measured_command({"sh", "-c", "exit 3"}, quiet_estimation_only()).exit_status, 3);
  EXPECT_EQ(run_measured_command({"true"}, quiet_estimation_only()).exit_status, 0);
  EXPECT_EQ(
      run_measured_command({"sh", "-c", "kill -TERM $$"}, quiet_estimation_only()).exit_status,
      128 + 15);
}

TEST(CommandRunner, CannotExecute) {
  const CommandRun run =
      run_measured_command({"/nonexistent/eden-no-such-command"}, quiet_estimation_only());
  EXPECT_EQ(run.exit_status, kCannotExecuteStatus);
  EXPECT_NE(run.exec_error.find("cannot execute '/nonexistent/eden-no-such-command'"),
            std::string::npos);
  EXPECT_NE(run.exec_error.find("No such file or directory"), std::string::npos);
}

TEST(CommandRunner, CountsTheChildsCpuTimeNotOurs) {
  ScopedEnv tdp("EDEN_CPU_TDP_W", std::string("80"));
  // A busy shell loop of about 0.2 s of CPU.
  const CommandRun run = run_measured_command(
      {"sh", "-c", "i=0; while [ $i -lt 40000 ]; do i=$((i+1)); done"}, quiet_estimation_only());
  ASSERT_EQ(run.exit_status, 0);
  ASSERT_GT(run.child_cpu_time_s, 0.0);
  const int threads = run.monitor["meters"][0]["threads"].get<int>();
  const double watts_per_thread = 80.0 / threads;
  double cpu_j = 0.0;
  for (const auto& c : run.measurement.components) {
    if (c.component.key() == "cpu/package") cpu_j = c.energy_j;
    EXPECT_EQ(c.component.source, Source::estimated);
  }
  // Equal up to /proc's 10 ms ticks, which live readings use before the child is reaped.
  EXPECT_NEAR(cpu_j, watts_per_thread * run.child_cpu_time_s, watts_per_thread * 0.02);
}

}  // namespace
}  // namespace eden::energy
