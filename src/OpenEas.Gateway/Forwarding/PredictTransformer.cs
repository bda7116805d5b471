using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace OpenEas.Gateway.Forwarding;

/// <summary>Maps <c>/api/predict/{service}/{rest}</c> to <c>/{rest}</c> on the instance and keeps the service token to the gateway.</summary>
internal sealed class PredictTransformer : HttpTransformer
{
    public static readonly PredictTransformer Instance = new();

    internal const string RestPathKey = "eas.rest";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        var rest = httpContext.Items[RestPathKey] as string ?? "/";
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix.TrimEnd('/'), new PathString(rest), httpContext.Request.QueryString);
        proxyRequest.Headers.Remove("Authorization");
        proxyRequest.Headers.Host = null;
    }
}
