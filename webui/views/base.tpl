<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Callbox</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body class="{{get('body_class', '')}}">
<header class="bar">
  <a class="brand" href="/">Callbox</a>
% if user:
  <nav id="nav">
%   for n in nav:
    <a href="{{n['href']}}" {{!'aria-current="page"' if n['current'] else ''}}>{{n['label']}}</a>
%   end
  </nav>
  <form method="post" action="/logout" class="logout">
    <a class="who" href="/account">{{user['username']}} · {{user['role']}}</a>
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
