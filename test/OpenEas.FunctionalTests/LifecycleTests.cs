using System.Net;
using OpenEas.Contracts;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

public class LifecycleTests
{
    [Fact]
    public async Task Create_reaches_Running_and_answers_through_the_gateway()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Client.CreateServiceAsync(TestServer.EchoSpec("echo"));
        Assert.Equal("echo", created.ServiceName);
        Assert.False(string.IsNullOrEmpty(created.AccessToken));
        Assert.EndsWith("/api/predict/echo", created.IntranetEndpoint);

        await server.WaitForStatusAsync("echo", ServiceStates.Running, running: 1);
        var answer = await server.PredictAsync("echo", "hello openeas");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("hello openeas", answer.BodyText);
    }
}
