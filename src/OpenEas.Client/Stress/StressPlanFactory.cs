using System.Text;
using OpenEas.Contracts;

namespace OpenEas.Client.Stress;

/// <summary>Turns a stress request (the jobs API body; the CLI builds the same) into a validated <see cref="StressPlan"/>.</summary>
public static class StressPlanFactory
{
    /// <summary>Throws <see cref="ArgumentException"/> with a message naming the bad field.</summary>
    public static StressPlan Create(JobRequest request, Uri target, string? token, ReadOnlyMemory<byte>? body = null)
    {
        var modes = (request.Rps is not null ? 1 : 0) + (request.Ramp is not null ? 1 : 0) + (request.Concurrency is not null ? 1 : 0);
        if (modes != 1)
        {
            throw new ArgumentException("give exactly one of rps, ramp or concurrency");
        }

        try
        {
            var plan = new StressPlan
            {
                Service = request.Service,
                Target = target,
                Token = token,
                Body = body ?? Body(request),
                Method = string.IsNullOrWhiteSpace(request.Method) ? HttpMethod.Post : new HttpMethod(request.Method.Trim().ToUpperInvariant()),
                Mode = request.Rps is not null ? StressMode.Rate : request.Ramp is not null ? StressMode.Ramp : StressMode.Concurrency,
                Rate = request.Rps ?? 0,
                Ramp = request.Ramp is { } r ? StressParse.Ramp(r) : null,
                Concurrency = request.Concurrency ?? 0,
                Duration = StressParse.Duration(request.Duration, "duration"),
                Slo = request.Slo is { } slo ? StressParse.Duration(slo, "slo") : TimeSpan.FromMilliseconds(500),
                MaxErrorRate = request.MaxErrors is { } e ? StressParse.Fraction(e, "maxErrors") : 0.01,
            };
            plan.Validate();
            return plan;
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
    }

    private static byte[] Body(JobRequest request)
    {
        if (request.DataBase64 is { } b64)
        {
            try
            {
                return Convert.FromBase64String(b64);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException("dataBase64 is not base64", ex);
            }
        }

        return Encoding.UTF8.GetBytes(request.Data ?? "");
    }
}
