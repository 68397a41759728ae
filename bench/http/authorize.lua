-- The same request for both servers: a small JSON POST.
wrk.method = "POST"
wrk.path = "/v1/authorize"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"system":"bank","action":"send_money","resource":"accounts/123","args":{"amount":100}}'
