<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Callbox</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<header class="bar">
  <span class="brand">Callbox</span>
% if user:
  <nav><a href="/calls" aria-current="page">Calls</a></nav>
  <form method="post" action="/logout" class="logout">
    <span class="who">{{user['username']}} · {{user['role']}}</span>
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <button type="submit" id="logout">Log out</button>
  </form>
% end
</header>
<main>
{{!base}}
</main>
</body>
</html>
