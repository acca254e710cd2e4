% rebase('base.tpl', title=title, user=user, nav=nav)
<section class="head"><h1>Administration</h1></section>
<ul class="tiles" id="admin-areas">
% if can('users.admin'):
  <li><a href="/admin/users">Users</a><span>log-ins, roles, seats, teams</span></li>
  <li><a href="/admin/roles">Roles</a><span>built-in and custom roles, their permissions</span></li>
  <li><a href="/admin/teams">Teams</a><span>teams and their leaders</span></li>
  <li><a href="/admin/tokens">API tokens</a><span>integrations and their roles</span></li>
% end
% if can('queues.admin'):
  <li><a href="/admin/seats">Seats</a><span>SIP phones, passwords, how to register a softphone</span></li>
  <li><a href="/admin/queues">Queues</a><span>ACD strategy, wrap-up, ring time-out, service level</span></li>
  <li><a href="/admin/telephony">Telephony</a><span>SIP trunks and outbound routes</span></li>
  <li><a href="/admin/routes">Routes and caller lists</a><span>where each number goes, black and white lists</span></li>
  <li><a href="/admin/schedules">Schedules</a><span>opening hours, holidays, agents' working hours</span></li>
  <li><a href="/admin/prompts">Prompts</a><span>spoken texts and recorded greetings</span></li>
  <li><a href="/admin/ivr">IVR trees</a><span>menus and what each digit does</span></li>
  <li><a href="/admin/queue-rules">Queue rules</a><span>announcements, overflow, exit key, callbacks</span></li>
  <li><a href="/admin/voicemail">Voicemail</a><span>boxes and messages</span></li>
% end
% if can('calls.read_all'):
  <li><a href="/admin/callbacks">Callbacks</a><span>callers waiting to be called back</span></li>
% end
% if can('customers.admin') or can('tickets.admin'):
  <li><a href="/admin/crm">CRM settings</a><span>custom fields, ticket types, SLA table</span></li>
% end
% if can('desk.admin'):
  <li><a href="/admin/desk-lists">Dispositions and pause reasons</a><span>what agents choose after a call and when pausing</span></li>
  <li><a href="/admin/recording-rules">Recording rules</a><span>which calls are recorded: all, per queue, per agent</span></li>
% end
% if can('campaigns.admin'):
  <li><a href="/admin/campaigns">Campaigns</a><span>outbound call lists the queues' agents work through</span></li>
  <li><a href="/admin/dnc">Do-not-call list</a><span>numbers campaigns never dial</span></li>
% end
% if can('rating.admin'):
  <li><a href="/admin/rates">Rate tables</a><span>what outgoing calls cost, per trunk and prefix</span></li>
% end
% if can('surveys.admin'):
  <li><a href="/admin/surveys">Surveys</a><span>post-call questions, their scale, the queues that play them</span></li>
% end
% if can('records.admin'):
  <li><a href="/admin/retention">Retention</a><span>how long call records and recordings are kept</span></li>
% end
% if can('audit.read'):
  <li><a href="/admin/audit">Audit log</a><span>who viewed, played, exported, changed what</span></li>
  <li><a href="/admin/security">Security</a><span>the SIP edge's security log and bans</span></li>
% end
% if can('system.admin'):
  <li><a href="/admin/system">System</a><span>network, time, backup and restore, self-test, logs, firmware</span></li>
% end
% if can('kb.write'):
  <li><a href="/announcements">Announcements</a><span>what agents see on their desk</span></li>
% end
</ul>
