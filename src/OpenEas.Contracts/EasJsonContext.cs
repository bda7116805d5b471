using System.Text.Json.Serialization;

namespace OpenEas.Contracts;

/// <summary>Source-generated JSON for every wire type.</summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ServiceDescription))]
[JsonSerializable(typeof(List<ServiceDescription>))]
[JsonSerializable(typeof(ServiceVersionInfo))]
[JsonSerializable(typeof(List<ServiceVersionInfo>))]
[JsonSerializable(typeof(InstanceInfo))]
[JsonSerializable(typeof(List<InstanceInfo>))]
[JsonSerializable(typeof(ServiceEvent))]
[JsonSerializable(typeof(List<ServiceEvent>))]
[JsonSerializable(typeof(VersionSwitchRequest))]
[JsonSerializable(typeof(ScaleRequest))]
[JsonSerializable(typeof(TokenRotateRequest))]
[JsonSerializable(typeof(ServiceChangeResult))]
[JsonSerializable(typeof(GatewayErrorBody))]
[JsonSerializable(typeof(DebugRequest))]
[JsonSerializable(typeof(DebugResponse))]
[JsonSerializable(typeof(ServiceStats))]
[JsonSerializable(typeof(MetricPoint))]
[JsonSerializable(typeof(List<MetricPoint>))]
[JsonSerializable(typeof(MetricSeries))]
[JsonSerializable(typeof(List<MetricSeries>))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobInfo))]
[JsonSerializable(typeof(List<JobInfo>))]
[JsonSerializable(typeof(StressReport))]
[JsonSerializable(typeof(SpecIssue))]
[JsonSerializable(typeof(List<SpecIssue>))]
public sealed partial class EasJsonContext : JsonSerializerContext;
