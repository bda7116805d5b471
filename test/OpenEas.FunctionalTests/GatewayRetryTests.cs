using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenEas.Core.Hosting;
using OpenEas.Core.Routing;
using OpenEas.Gateway.Forwarding;
using OpenEas.Gateway.Logging;

namespace OpenEas.FunctionalTests;

/// <summary>
/// The gateway alone on real Kestrel, with a route the test controls: one instance that refuses every
/// connection and one that answers.
/// </summary>
public sealed class GatewayRetryTests : IAsyncLifetime
{
    private WebApplication _upstream = null!;
    private WebApplication _gateway = null!;
    private RouteTable _routes = null!;
    private string _gatewayUrl = "";
    private string _liveAddress = "";
    private string _deadAddress = "";
    private readonly string _dataDir = Infrastructure.TestServer.NewDataDir();

    public async Task InitializeAsync()
    {
        var upstream = WebApplication.CreateSlimBuilder();
        upstream.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        upstream.Logging.ClearProviders();
        _upstream = upstream.Build();
        _upstream.Map("/{**rest}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync("up:" + await reader.ReadToEndAsync());
        });
        await _upstream.StartAsync();
        _liveAddress = Address(_upstream) + "/";

        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            _deadAddress = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
        }

        var gateway = WebApplication.CreateSlimBuilder();
        gateway.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        gateway.Logging.ClearProviders();
        gateway.Services.AddSingleton(TimeProvider.System);
        gateway.Services.AddSingleton(new EasCoreOptions { DataDir = _dataDir });
        gateway.Services.AddSingleton<RouteTable>();
        gateway.Services.AddSingleton<AccessLog>();
        gateway.Services.AddSingleton(new Core.Metrics.MetricsHub(TimeProvider.System, storePath: null));
        gateway.Services.AddHttpForwarder();
        gateway.Services.AddSingleton<PredictGateway>();
        _gateway = gateway.Build();
        PredictGateway.Map(_gateway);
        await _gateway.StartAsync();
        _gatewayUrl = Address(_gateway);
        _routes = _gateway.Services.GetRequiredService<RouteTable>();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    [Fact]
    public async Task A_refused_call_is_retried_on_another_instance_and_the_refusing_one_is_ejected()
    {
        _routes.Publish("svc", "secret", RoutePolicy.Default, [("dead", _deadAddress), ("live", _liveAddress)]);
        using var http = new HttpClient();
        for (var i = 0; i < 40; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{_gatewayUrl}/api/predict/svc") { Content = new StringContent($"call {i}") };
            request.Headers.TryAddWithoutValidation("Authorization", "secret");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"up:call {i}", await response.Content.ReadAsStringAsync());
        }

        var dead = _routes.Find("svc")!.Endpoints.Single(e => e.InstanceId == "dead");
        Assert.True(dead.IsEjected(TimeProvider.System.GetTimestamp()));
        Assert.Equal(0, dead.InFlight);
    }

    [Fact]
    public async Task With_only_a_refusing_instance_the_caller_gets_502_as_json()
    {
        _routes.Publish("lonely", "secret", RoutePolicy.Default, [("dead", _deadAddress)]);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_gatewayUrl}/api/predict/lonely") { Content = new StringContent("x") };
        request.Headers.TryAddWithoutValidation("Authorization", "secret");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("instance dead failed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
