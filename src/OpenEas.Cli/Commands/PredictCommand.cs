using System.CommandLine;
using System.Net;
using System.Text;
using OpenEas.Client;
using OpenEas.Contracts;

namespace OpenEas.Cli.Commands;

/// <summary><c>predict &lt;svc&gt;</c>: call a service through the gateway, as a client would.</summary>
internal static class PredictCommand
{
    public static void Add(RootCommand root, CliEnv env)
    {
        var service = CommonOptions.Service();
        var data = new Option<string?>("--data", "-d") { Description = "request body: text, @file, or @- for stdin", HelpName = "body" };
        // Shadows the global --token here: predict's --token is the service's token; the admin one is --admin-token.
        var token = new Option<string?>("--token")
        {
            Description = "the service's access token (default: looked up with 'desc', which needs the admin token: --admin-token or EAS_ADMIN_TOKEN)",
            HelpName = "token",
        };
        var method = new Option<string>("--method", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "POST", HelpName = "method" };
        var path = new Option<string?>("--path") { Description = "sub-path after /api/predict/<service>/", HelpName = "path" };
        var headers = new Option<string[]>("--header", "-H") { Description = "extra header 'Name: value' (repeatable)", HelpName = "header" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "also print the status, response headers and elapsed time (to stderr)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for the answer", DefaultValueFactory = _ => 100, HelpName = "seconds" };
        var command = new Command("predict", "Call a service (POST /api/predict/<service>); the body goes to stdout")
        {
            service, data, token, method, path, headers, verbose, timeout,
        };
        env.SetAction(command, async (ctx, parse, ct) =>
        {
            ctx.Service = parse.GetValue(service)!;
            var extra = (parse.GetValue(headers) ?? []).Select(ParseHeader).ToList();
            var httpMethod = new HttpMethod(parse.GetValue(method)!.Trim().ToUpperInvariant());
            var body = await ReadBodyAsync(ctx, parse.GetValue(data), ct);
            var serviceToken = parse.GetValue(token) ?? await LookUpTokenAsync(ctx, ct);
            var seconds = parse.GetValue(timeout);
            if (seconds <= 0)
            {
                throw new CliException(ExitCodes.Usage, "--timeout must be a positive number of seconds");
            }

            var result = await ctx.Client.PredictAsync(ctx.Service, serviceToken, body, httpMethod, parse.GetValue(path), extra,
                TimeSpan.FromSeconds(seconds), ct);
            if (parse.GetValue(verbose))
            {
                var target = "/api/predict/" + ctx.Service + (parse.GetValue(path) is { Length: > 0 } p ? "/" + p.TrimStart('/') : "");
                ctx.Err.WriteLine($"> {httpMethod} {target}");
                ctx.Err.WriteLine($"< {(int)result.Status} {result.Status} ({result.Elapsed.TotalMilliseconds:0.0} ms)");
                foreach (var (name, value) in result.Headers)
                {
                    ctx.Err.WriteLine($"< {name}: {value}");
                }
            }

            if (!result.IsSuccess)
            {
                ctx.Err.WriteLine($"HTTP {(int)result.Status}: {result.BodyText.TrimEnd()}");
                return ExitCodes.Error;
            }

            var text = result.BodyText;
            ctx.Out.Write(text);
            if (ctx.Io.IsTerminal && text.Length > 0 && !text.EndsWith('\n'))
            {
                ctx.Out.WriteLine();
            }

            return ExitCodes.Success;
        });
        root.Add(command);
    }

    /// <summary>Parses <c>Name: value</c>.</summary>
    internal static KeyValuePair<string, string> ParseHeader(string header)
    {
        var colon = header.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new CliException(ExitCodes.Usage, $"--header '{header}': expected 'Name: value'");
        }

        return new(header[..colon].Trim(), header[(colon + 1)..].Trim());
    }

    internal static async Task<byte[]> ReadBodyAsync(CliContext ctx, string? data, CancellationToken ct)
    {
        if (data is null)
        {
            return [];
        }

        if (data == "@-")
        {
            return Encoding.UTF8.GetBytes(await ctx.Io.In.ReadToEndAsync(ct));
        }

        if (data.StartsWith('@'))
        {
            var file = data[1..];
            if (!File.Exists(file))
            {
                throw new CliException(ExitCodes.Error, $"--data: file not found: {file}");
            }

            return await File.ReadAllBytesAsync(file, ct);
        }

        return Encoding.UTF8.GetBytes(data);
    }

    internal static async Task<string> LookUpTokenAsync(CliContext ctx, CancellationToken ct)
    {
        try
        {
            // {group}.{service} opens with the member's token; a group with any member's.
            var name = ctx.Service!;
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                name = name[(dot + 1)..];
            }

            try
            {
                return (await ctx.Client.DescribeServiceAsync(name, ct)).AccessToken;
            }
            catch (EasApiException ex) when (ex.Status == HttpStatusCode.NotFound && dot < 0)
            {
                GroupInfo group;
                try
                {
                    group = await ctx.Client.DescribeGroupAsync(name, ct);
                }
                catch (EasApiException gex) when (gex.Status == HttpStatusCode.NotFound)
                {
                    // Neither a service nor a group: say so about the service, which is what the user most likely meant.
                    throw new CliException(ExitCodes.NotFound, $"service \"{name}\" not found (nor a service group of that name)");
                }

                return (await ctx.Client.DescribeServiceAsync(group.Members[0].ServiceName, ct)).AccessToken;
            }
        }
        catch (EasApiException ex) when (ex.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new CliException(ExitCodes.Unauthorized,
                "cannot look up the service's token without the admin token: pass the service token with --token, " +
                "or the admin token with --admin-token (or EAS_ADMIN_TOKEN)");
        }
    }
}
