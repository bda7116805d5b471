using OpenEas.Contracts;
using OpenEas.Core.Reconcile;

namespace OpenEas.Tests.Reconcile;

public class ServiceStatusEvaluatorTests
{
    /// <summary>
    /// Instances as space-separated <c>id/version/state</c> (state as in <see cref="InstanceStates"/>); Ready
    /// instances are the ones in state Ready. Reasons and messages look like the instance agent's.
    /// </summary>
    private static List<StatusInstance> Instances(string instances) =>
        [.. instances.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(token =>
        {
            var p = token.Split('/');
            var (reason, message) = p[2] switch
            {
                InstanceStates.Failed => ("CrashLoopBackOff", "exited with code 1; restarting in 20s (restart 3)"),
                InstanceStates.Pending => ("Unschedulable", "needs cpu 4 and memory 1000 MB"),
                InstanceStates.Draining => ("Draining", "scaled in"),
                InstanceStates.Starting => ("Starting", "waiting for readiness"),
                _ => (p[2], ""),
            };
            return new StatusInstance(p[0], int.Parse(p[1]), p[2], p[2] == InstanceStates.Ready, reason, message);
        })];

    private static ServiceStatus Evaluate(int desired, string instances, string previous, int version = 1) =>
        ServiceStatusEvaluator.Evaluate(deleting: false, stopped: false, desired, version, Instances(instances), previous);

    [Theory]
    [InlineData(1, "a/1/Ready", ServiceStates.Creating, "1/1 instances ready")]
    [InlineData(2, "a/1/Ready b/1/Ready", ServiceStates.Scaling, "2/2 instances ready")]
    [InlineData(2, "a/1/Ready b/1/Ready", ServiceStates.Updating, "2/2 instances ready")]
    [InlineData(1, "a/1/Ready", ServiceStates.Starting, "1/1 instances ready")]
    [InlineData(1, "a/1/Ready", ServiceStates.Failed, "1/1 instances ready")]
    // Once Running, an instance draining (e.g. replaced after a failed liveness check) does not knock it out.
    [InlineData(1, "a/1/Ready b/1/Draining", ServiceStates.Running, "1/1 instances ready")]
    [InlineData(0, "", ServiceStates.Creating, "0/0 instances ready")]
    public void Service_is_Running_when_every_desired_instance_is_ready(int desired, string instances, string previous, string message)
    {
        Assert.Equal(new ServiceStatus(ServiceStates.Running, "", message), Evaluate(desired, instances, previous));
    }

    [Theory]
    // A new service stays Creating while its instances start.
    [InlineData(2, "a/1/Starting b/1/Starting", ServiceStates.Creating, ServiceStates.Creating, "0/2 instances ready")]
    [InlineData(2, "a/1/Ready b/1/Starting", ServiceStates.Creating, ServiceStates.Creating, "1/2 instances ready")]
    [InlineData(1, "", ServiceStates.Creating, ServiceStates.Creating, "0/1 instances ready")]
    // Recovering from Waiting or Failed is still creating.
    [InlineData(1, "a/1/Starting", ServiceStates.Waiting, ServiceStates.Creating, "0/1 instances ready")]
    [InlineData(1, "a/1/Starting", ServiceStates.Failed, ServiceStates.Creating, "0/1 instances ready")]
    // A running service that changes size is Scaling, both ways, until the drained instances are gone.
    [InlineData(3, "a/1/Ready b/1/Ready c/1/Starting", ServiceStates.Running, ServiceStates.Scaling, "2/3 instances ready")]
    [InlineData(1, "a/1/Ready b/1/Ready", ServiceStates.Running, ServiceStates.Scaling, "2/1 instances ready")]
    [InlineData(1, "a/1/Ready b/1/Draining", ServiceStates.Scaling, ServiceStates.Scaling, "1/1 instances ready")]
    // A stopped service that is started again is Starting until Running.
    [InlineData(1, "", ServiceStates.Stopped, ServiceStates.Starting, "0/1 instances ready")]
    [InlineData(1, "a/1/Starting", ServiceStates.Starting, ServiceStates.Starting, "0/1 instances ready")]
    [InlineData(2, "a/1/Ready b/1/Starting", ServiceStates.Stopping, ServiceStates.Starting, "1/2 instances ready")]
    public void Service_on_its_way_to_Running_says_why(int desired, string instances, string previous, string expected, string reason)
    {
        Assert.Equal(new ServiceStatus(expected, reason, ""), Evaluate(desired, instances, previous));
    }

    [Theory]
    [InlineData(1, "a/1/Ready b/2/Starting", ServiceStates.Running, "rolling to version 2: 0/1 new instances ready")]
    [InlineData(2, "a/1/Ready b/2/Ready c/2/Starting", ServiceStates.Updating, "rolling to version 2: 1/2 new instances ready")]
    [InlineData(2, "a/1/Ready b/1/Ready", ServiceStates.Running, "rolling to version 2: 0/2 new instances ready")]
    // The last old instance is draining: the update is not over until it is gone.
    [InlineData(1, "a/1/Draining b/2/Ready", ServiceStates.Updating, "rolling to version 2: 1/1 new instances ready")]
    [InlineData(2, "a/1/Draining b/1/Draining c/2/Ready d/2/Ready", ServiceStates.Updating, "rolling to version 2: 2/2 new instances ready")]
    public void Service_with_old_version_instances_is_Updating(int desired, string instances, string previous, string reason)
    {
        Assert.Equal(new ServiceStatus(ServiceStates.Updating, reason, ""), Evaluate(desired, instances, previous, version: 2));
    }

    [Theory]
    [InlineData(1, "a/1/Failed", ServiceStates.Creating, "instance a")]
    [InlineData(2, "a/1/Starting b/1/Failed", ServiceStates.Creating, "instance b")]
    [InlineData(2, "a/1/Failed b/1/Failed", ServiceStates.Running, "instance a")]
    // Crash-looping wins over waiting: the one that ran says what is wrong.
    [InlineData(2, "a/1/Pending b/1/Failed", ServiceStates.Creating, "instance b")]
    public void Service_is_Failed_when_current_instances_crash_and_none_is_ready(int desired, string instances, string previous, string instance)
    {
        var status = Evaluate(desired, instances, previous);

        Assert.Equal(ServiceStates.Failed, status.Status);
        Assert.Equal($"{instance}: CrashLoopBackOff", status.Reason);
        Assert.Equal("exited with code 1; restarting in 20s (restart 3)", status.Message);
    }

    [Fact]
    public void Service_with_a_ready_instance_is_not_Failed_but_names_the_crashing_one()
    {
        var status = Evaluate(2, "a/1/Ready b/1/Failed", ServiceStates.Creating);

        Assert.Equal(new ServiceStatus(ServiceStates.Creating, "1/2 instances ready; instance b: CrashLoopBackOff", ""), status);
    }

    [Fact]
    public void Old_version_crashing_does_not_fail_the_service()
    {
        var status = Evaluate(1, "a/1/Failed b/2/Starting", ServiceStates.Updating, version: 2);

        Assert.Equal(ServiceStates.Updating, status.Status);
    }

    [Theory]
    [InlineData(1, "a/1/Pending", "1 of 1 instance(s) waiting for resources: needs cpu 4 and memory 1000 MB")]
    [InlineData(3, "a/1/Ready b/1/Pending c/1/Pending", "2 of 3 instance(s) waiting for resources: needs cpu 4 and memory 1000 MB")]
    [InlineData(2, "a/1/Starting b/1/Pending", "1 of 2 instance(s) waiting for resources: needs cpu 4 and memory 1000 MB")]
    public void Service_is_Waiting_when_an_instance_cannot_be_placed(int desired, string instances, string reason)
    {
        Assert.Equal(new ServiceStatus(ServiceStates.Waiting, reason, ""), Evaluate(desired, instances, ServiceStates.Creating));
    }

    [Theory]
    [InlineData("a/1/Ready b/1/Draining", ServiceStates.Stopping, "stopping 2 instance(s)")]
    [InlineData("a/1/Draining", ServiceStates.Stopping, "stopping 1 instance(s)")]
    [InlineData("", ServiceStates.Stopped, "stopped by user")]
    public void Stopped_service_is_Stopping_until_its_instances_are_gone(string instances, string expected, string reason)
    {
        var status = ServiceStatusEvaluator.Evaluate(deleting: false, stopped: true, 1, 1, Instances(instances), ServiceStates.Running);

        Assert.Equal(new ServiceStatus(expected, reason, ""), status);
    }

    [Theory]
    [InlineData("a/1/Ready b/1/Draining", false, "stopping 2 instance(s)")]
    [InlineData("a/1/Draining", true, "stopping 1 instance(s)")]
    [InlineData("", false, "")]
    [InlineData("", true, "")]
    public void Deleting_service_stays_Deleting_whatever_else_holds(string instances, bool stopped, string reason)
    {
        var status = ServiceStatusEvaluator.Evaluate(deleting: true, stopped, 1, 1, Instances(instances), ServiceStates.Deleting);

        Assert.Equal(new ServiceStatus(ServiceStates.Deleting, reason, ""), status);
    }

    [Fact]
    public void A_crash_looping_instance_between_two_crashes_keeps_the_service_Failed()
    {
        var restarting = new StatusInstance("a", 1, InstanceStates.Starting, false, "Starting", "started (pid 42), waiting for readiness", Restarts: 3);

        var status = ServiceStatusEvaluator.Evaluate(false, false, 1, 1, [restarting], ServiceStates.Failed);

        Assert.Equal(ServiceStates.Failed, status.Status);
        Assert.Equal("instance a: restarted 3 time(s), starting again", status.Reason);
    }

    [Fact]
    public void A_failing_new_version_keeps_the_service_Updating_while_the_old_one_serves()
    {
        var status = Evaluate(1, "a/1/Ready b/2/Failed", ServiceStates.Updating, version: 2);

        Assert.Equal(ServiceStates.Updating, status.Status);
        Assert.Equal("rolling to version 2: 0/1 new instances ready; new instance b is failing: CrashLoopBackOff", status.Reason);
        Assert.Contains("exited with code 1", status.Message);
    }

    [Fact]
    public void A_new_version_waiting_for_resources_says_so_while_Updating()
    {
        var status = Evaluate(1, "a/1/Ready b/2/Pending", ServiceStates.Updating, version: 2);

        Assert.Equal(ServiceStates.Updating, status.Status);
        Assert.Contains("1 new instance(s) waiting for resources: needs cpu 4", status.Reason);
    }

    [Theory]
    [InlineData(ServiceStates.Stopped, "stopped by user", 1, "Stopped: stopped by user")]
    [InlineData(ServiceStates.Waiting, "1 of 1 instance(s) waiting for resources: needs cpu 64", 1, "Waiting: 1 of 1 instance(s) waiting for resources: needs cpu 64")]
    [InlineData(ServiceStates.Creating, "", 1, "Creating")]
    [InlineData(ServiceStates.Running, "", 0, "it is scaled to 0 instances")]
    [InlineData(ServiceStates.Running, "", 2, "")]
    public void A_caller_finding_no_ready_instance_is_told_the_state_and_reason(string state, string reason, int desired, string expected) =>
        Assert.Equal(expected, ServiceStatusEvaluator.Unavailable(new ServiceStatus(state, reason, ""), desired));
}
