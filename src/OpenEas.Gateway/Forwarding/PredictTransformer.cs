using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace OpenEas.Gateway.Forwarding;

/// <summary>
/// Maps <c>/api/predict/{service}/{rest}</c> (and <c>/web/{service}/{rest}</c>) to <c>/{rest}</c> on the instance,
/// keeps the service token to the gateway, and tells a web app the prefix it is served under.
/// </summary>
internal sealed class PredictTransformer : HttpTransformer
{
    public static readonly PredictTransformer Instance = new();

    internal const string RestPathKey = "eas.rest";
    internal const string PrefixKey = "eas.prefix";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        var rest = httpContext.Items[RestPathKey] as string ?? "/";
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix.TrimEnd('/'), new PathString(rest), httpContext.Request.QueryString);
        proxyRequest.Headers.Remove("Authorization");
        proxyRequest.Headers.Host = null;
        if (proxyRequest.Content is not null && httpContext.Request.Body.CanSeek && httpContext.Request.ContentLength <= SmallBody.Limit)
        {
            proxyRequest.Options.Set(SmallBody.InMemory, true);
        }
        if (httpContext.Items[PrefixKey] is string prefix)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", prefix);
            StripTokenCookie(proxyRequest);
        }
    }

    /// <summary>The app gets its own cookies, never the service-token cookie the gateway set.</summary>
    private static void StripTokenCookie(HttpRequestMessage request)
    {
        if (!request.Headers.TryGetValues("Cookie", out var values))
        {
            return;
        }

        var kept = string.Join("; ", values
            .SelectMany(v => v.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(c => !c.StartsWith("eas_token_", StringComparison.Ordinal)));
        request.Headers.Remove("Cookie");
        if (kept.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Cookie", kept);
        }
    }
}
