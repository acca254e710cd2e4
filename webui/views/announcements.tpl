% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Announcements and knowledge</h1></section>
% if can('kb.write'):
<details class="panel"><summary>Post an announcement</summary>
  <form method="post" action="/announcements" class="stack" id="announce-form">
    <input type="hidden" name="csrf" value="{{user['csrf']}}">
    <label for="title">Title</label><input id="title" name="title" maxlength="200" required>
    <label for="body">Text</label><textarea id="body" name="body" rows="4" required></textarea>
    <label for="kind">Kind</label>
    <select id="kind" name="kind"><option value="announcement">announcement</option><option value="knowledge">knowledge note</option></select>
    <label class="check"><input type="checkbox" name="pinned" value="1"> pinned</label>
    <button type="submit" id="post">Post</button>
  </form>
</details>
% end
<ul class="cards" id="announcements">
% for a in items:
  <li class="panel {{'pinned' if a['pinned'] else ''}}">
    <h2>{{a['title']}} <span class="badge">{{a['kind']}}</span></h2>
    <p class="pre">{{a['body']}}</p>
    <p class="muted">{{a['author']}} · {{a['time']}}</p>
%   if can('kb.write'):
    <form method="post" action="/announcements/{{a['id']}}/delete" class="inline">
      <input type="hidden" name="csrf" value="{{user['csrf']}}"><button type="submit" class="link">Delete</button>
    </form>
%   end
  </li>
% end
% if not items:
  <li class="muted">No announcements.</li>
% end
</ul>
